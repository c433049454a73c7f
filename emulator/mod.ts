/**
 * flora's Discord emulator: a gateway (WebSocket) and REST API on 127.0.0.1
 * that real Discord clients — Discordeno, discord.js — connect to, plus a
 * control API for tests and local development.
 *
 * ```ts
 * const emu = await startEmulator({ heartbeatIntervalMs: 1100 });
 * const bot = createBot({ token: emu.token, rest: { proxy: { baseUrl: emu.restBase, authorization: `Bot ${emu.token}` } } });
 * ```
 *
 * @module
 */

import { Hono } from "hono";
import { ActionLog } from "./actions.ts";
import { createBenchApp } from "./bench_control.ts";
import { createControlApp } from "./control.ts";
import { createModalControlApp } from "./modals.ts";
import { GatewayServer } from "./gateway.ts";
import { SessionStartLimit } from "./rest/meta.ts";
import { createRestApp } from "./rest/mod.ts";
import { RateLimiter, type RateLimitOptions } from "./rest/ratelimit.ts";
import { type SeededWorld, seedWorld } from "./seed.ts";
import { EmulatorState } from "./state.ts";
import { botIdFromToken, makeToken } from "./token.ts";
import { readWorldFile, WorldFile } from "./world_file.ts";

export { EmulatorClient } from "./client.ts";
export type * from "./control_types.ts";
export type * from "./types.ts";
export type { BotAction } from "./actions.ts";
export { EmulatorState } from "./state.ts";
export { Intents } from "./state_records.ts";
export type { SeededWorld } from "./seed.ts";
export type { RateLimitOptions } from "./rest/ratelimit.ts";
export { WorldFileError } from "./world_file.ts";

/** Discord's spacing between IDENTIFYs of one `max_concurrency` bucket, ms. */
export const DISCORD_IDENTIFY_INTERVAL_MS = 5000;

export interface EmulatorOptions {
  /** 0 / undefined = a random free port on 127.0.0.1. */
  port?: number;
  /** The accepted bot token; default a fresh one encoding the bot's id (as Discord's do). */
  token?: string;
  /** HELLO's heartbeat_interval, ms (default 41250; Discordeno needs ≥ 1017). */
  heartbeatIntervalMs?: number;
  /** Recommended shard count in GET /gateway/bot (default 1). */
  shards?: number;
  /** Create the default world (default true). */
  seed?: boolean;
  /** session_start_limit.max_concurrency (default 1). */
  maxConcurrency?: number;
  /**
   * Minimum ms between IDENTIFYs per concurrency bucket (0 = off).
   * @default {5000} Discord's; tests and benches that re-identify at once turn it off.
   */
  identifyIntervalMs?: number;
  /** REST rate limits (on by default, with Discord-like buckets). */
  rateLimits?: RateLimitOptions;
  /** Application flags (default: all privileged intents granted). */
  applicationFlags?: number;
  /** Interactions' initial-response window, ms (Discord's 3000 by default; raise for slow CI). */
  interactionResponseWindowMs?: number;
  /** Messages kept per channel, oldest forgotten first (pins are kept; default 1,000). */
  maxMessagesPerChannel?: number;
  /**
   * Keep the world in this JSON file: read at start when it exists (same ids, messages and
   * commands; `seed` and `token` are then the file's), written soon after every change and on
   * close. Default: the world lives in memory only.
   */
  worldFile?: string;
  /** A world file could not be written (the emulator keeps running). */
  onWorldFileError?: (error: unknown) => void;
}

export interface Emulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `${url}/api` — Discordeno's `rest.proxy.baseUrl` (it appends `/v10`). */
  restBase: string;
  /** `ws://127.0.0.1:PORT` (what GET /gateway/bot returns). */
  gatewayUrl: string;
  /** `${url}/_emulator` — the control API (see EmulatorClient). */
  controlUrl: string;
  token: string;
  applicationId: string;
  botUserId: string;
  state: EmulatorState;
  gateway: GatewayServer;
  actions: ActionLog;
  /** Ids of the seeded world (undefined with `seed: false`). */
  seeded?: SeededWorld;
  /** Every HTTP route served (REST under `/api/v10`, control under `/_emulator`), for fuzzing. */
  routes(): { method: string; path: string }[];
  close(): Promise<void>;
}

/** Starts an emulator; resolves once it is listening. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41250;
  if (heartbeatIntervalMs < 1) throw new RangeError("heartbeatIntervalMs must be positive");
  const saved = options.worldFile ? await readWorldFile(options.worldFile) : null;
  const tokenBotId = options.token ? botIdFromToken(options.token) : undefined;
  if (saved && tokenBotId !== undefined && tokenBotId !== saved.botUserId) {
    throw new RangeError(
      `the token's bot (${tokenBotId}) is not the saved world's (${saved.botUserId}); ` +
        `drop the token or move ${options.worldFile} away`,
    );
  }
  const state = new EmulatorState({
    botUserId: saved?.botUserId ?? tokenBotId,
    applicationFlags: options.applicationFlags ?? saved?.applicationFlags,
    interactionResponseWindowMs: options.interactionResponseWindowMs,
    maxMessagesPerChannel: options.maxMessagesPerChannel,
  });
  saved?.restore(state);
  const token = options.token ?? saved?.token ?? makeToken(state.botUser.id);
  const seeded = saved ? saved.seeded : options.seed === false ? undefined : seedWorld(state);
  const worldFile = options.worldFile
    ? new WorldFile({
      path: options.worldFile,
      state,
      token,
      seeded,
      onError: options.onWorldFileError,
    })
    : undefined;
  if (worldFile && !saved) {
    // A fresh world is saved at once: its ids hold even if this process dies right away.
    worldFile.changed();
    await worldFile.flush();
  }
  const actions = new ActionLog();
  const rateLimits = new RateLimiter(options.rateLimits);
  const starts = new SessionStartLimit();
  const maxConcurrency = options.maxConcurrency ?? 1;
  let gatewayUrl = "";
  const gateway = new GatewayServer({
    state,
    token,
    heartbeatIntervalMs,
    gatewayUrl: () => gatewayUrl,
    identifyIntervalMs: options.identifyIntervalMs ?? DISCORD_IDENTIFY_INTERVAL_MS,
    maxConcurrency,
    onIdentify: () => starts.record(),
  });
  const rest = createRestApp({
    state,
    actions,
    token,
    gateway,
    rateLimits,
    // Discord recommends a shard per 1000 guilds.
    gatewayInfo: () => ({
      url: gatewayUrl,
      shards: Math.max(
        options.shards ?? 1,
        Math.ceil(
          [...state.guilds.values()].filter((g) => g.members.has(state.botUser.id)).length / 1000,
        ),
      ),
      maxConcurrency,
    }),
  }, starts);
  const root = new Hono();
  root.route("/api/v10", rest);
  root.route("/api/v9", rest);
  root.route("/_emulator", createModalControlApp(state));
  root.route("/_emulator/bench", createBenchApp({ state, actions }));
  root.route("/_emulator", createControlApp({ state, actions, gateway, rateLimits }));
  root.get(
    "/",
    (c) =>
      c.json({ name: "flora Discord emulator", gateway: gatewayUrl, rest: `${c.req.url}api/v10` }),
  );
  root.notFound((c) => c.json({ message: "404: Not Found", code: 0 }, 404));

  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
  }, async (request) => {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return gateway.handle(request);
    }
    const response = await root.fetch(request);
    // Every change to the world comes through a REST or control request that is not a read.
    if (request.method !== "GET" && request.method !== "HEAD") worldFile?.changed();
    return response;
  });
  const addr = await listening.promise;
  const url = `http://127.0.0.1:${addr.port}`;
  gatewayUrl = `ws://127.0.0.1:${addr.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    restBase: `${url}/api`,
    gatewayUrl,
    controlUrl: `${url}/_emulator`,
    token,
    applicationId: state.application.id,
    botUserId: state.botUser.id,
    state,
    gateway,
    actions,
    seeded,
    routes: () =>
      root.routes.filter((r) => r.method !== "ALL").map(({ method, path }) => ({ method, path })),
    close() {
      closing ??= (async () => {
        actions.close();
        await gateway.close();
        await server.shutdown();
        await worldFile?.flush();
      })();
      return closing;
    },
  };
}
