/**
 * A local development session: a real flora (sandbox processes, router,
 * API) against the built-in emulator, with one script deployed to the
 * emulator's first seeded guild. `flora dev`, the playground and the test
 * kit all build on it, so what an author tries locally runs exactly as it
 * would in production.
 *
 * @example
 * ```ts
 * const session = await startDevSession({ entry: "src/main.ts", dataDir: ".flora/dev" });
 * const result = await session.deploy();
 * console.log(result.ok ? `r${result.revision} is live` : result.error);
 * await session.close();
 * ```
 *
 * @module
 */

import { type DeploymentSummary, request } from "../client/api_client.ts";
import { bundle, typeCheck } from "../client/bundle.ts";
import { EmulatorClient, type GuildSummary } from "../emulator/mod.ts";
import { loadConfig } from "../runtime/config.ts";
import { CONFIG_DEFAULTS, type FloraConfig } from "../runtime/config_schema.ts";
import { type Flora, startFlora } from "../runtime/flora.ts";
import type { LogLine } from "../runtime/host/logs.ts";
import { carryOverGuildData } from "./guild_data.ts";
import { errorMessage } from "../shared/error_message.ts";

/** How one deploy of the script went. */
export interface DeployResult {
  ok: boolean;
  /** The revision that went live. */
  revision?: number;
  /** Why nothing went live (bundle, type or load error), as the author should read it. */
  error?: string;
  /** Epoch ms when the deploy finished. */
  at: number;
}

/** Options of {@linkcode startDevSession}. */
export interface DevSessionOptions {
  /** The script's entry file. */
  entry: string;
  /** Where flora keeps its database (KV data survives reloads and restarts here). */
  dataDir: string;
  /** Type-check before each deploy (default true). */
  check?: boolean;
  /** Sandbox processes (default 1: one guild needs one). */
  sandboxProcesses?: number;
  /** Longest a handler may run, ms (default 10 s). */
  eventTimeoutMs?: number;
  /** Receives each line the script (or flora, about the script) logs. */
  onLog?: (line: LogLine) => void;
  /** Receives the host's own notices. */
  onNotice?: (level: "info" | "warn" | "error", message: string) => void;
}

/** A running development session. */
export interface DevSession {
  flora: Flora;
  /** The emulator's control API, to act as users. */
  emulator: EmulatorClient;
  /** The guild the script is deployed to, as seeded (channels, roles, members). */
  guild: GuildSummary;
  entry: string;
  /** KV entries carried over from the previous session in this data dir. */
  carriedOver: number;
  /** Bundles and deploys the script's current source. Never throws for script errors. */
  deploy(): Promise<DeployResult>;
  /** The last deploy's result (undefined before the first). */
  lastDeploy(): DeployResult | undefined;
  /** The guild's most recent log lines (up to 500), oldest first. */
  recentLogs(): LogLine[];
  /** Subscribes to the guild's log lines; returns the unsubscribe function. */
  onLog(listener: (line: LogLine) => void): () => void;
  /** Subscribes to deploy results; returns the unsubscribe function. */
  onDeploy(listener: (result: DeployResult) => void): () => void;
  close(): Promise<void>;
}

/** Starts flora with the emulator on `dataDir`; does not deploy yet. */
export async function startDevSession(options: DevSessionOptions): Promise<DevSession> {
  const stat = await Deno.stat(options.entry).catch(() => null);
  if (!stat?.isFile) throw new Error(`${options.entry} is not a file`);
  // Built from an environment of our own: a dev session never reads DISCORD_TOKEN or the
  // host's FLORA_* settings; it always runs on embedded storage against the emulator.
  const config: FloraConfig = {
    ...loadConfig({ FLORA_DATA_DIR: options.dataDir }),
    apiPort: 0,
    emulatorPort: 0,
    sandboxProcesses: options.sandboxProcesses ?? 1,
    sandboxHeapMb: 256,
    eventTimeoutMs: options.eventTimeoutMs ?? CONFIG_DEFAULTS.eventTimeoutMs,
    // Local runs and tests may log in bursts (e.g. a month of cron runs at once): no log limit.
    guildLogLinesPer10s: 1_000_000,
    // The operator token is per-session: a dev data dir is never reached from outside.
    operatorToken: crypto.randomUUID() + crypto.randomUUID(),
  };
  // Log lines arrive from the start (restored deployments log too); keep only the dev guild's.
  const target = { guildId: "" };
  const logListeners = new Set<(line: LogLine) => void>();
  if (options.onLog) logListeners.add(options.onLog);
  const recent: LogLine[] = [];
  const flora = await startFlora(config, {
    onLog: (from, line) => {
      if (from !== target.guildId) return;
      recent.push(line);
      if (recent.length > 500) recent.shift();
      for (const listener of logListeners) listener(line);
    },
    onNotice: options.onNotice,
    emulatorHeartbeatMs: 30_000,
    spawnShardDelay: 0,
  });
  let guild: GuildSummary;
  let carriedOver: number;
  const emulator = new EmulatorClient(flora.emulator!.url);
  try {
    const world = await emulator.world();
    const seededId = flora.emulator?.seeded?.guilds[0].id;
    guild = world.guilds.find((g) => g.id === seededId) ?? world.guilds[0];
    if (!guild) throw new Error("the emulator has no guild");
    carriedOver = await carryOverGuildData(flora.guildKv, options.dataDir, guild.id);
  } catch (error) {
    await flora.close();
    throw error;
  }
  target.guildId = guild.id;

  const listeners = new Set<(result: DeployResult) => void>();
  let last: DeployResult | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const api = { url: flora.apiUrl, token: flora.operatorToken };

  const deployOnce = async (): Promise<DeployResult> => {
    try {
      if (options.check !== false) await typeCheck(options.entry);
      const built = await bundle(options.entry);
      const { body } = await request<{ deployment: DeploymentSummary }>(
        api,
        "POST",
        `/deployments/${guild.id}`,
        built,
      );
      const d = body.deployment;
      return d.status === "active" ? { ok: true, revision: d.revision, at: Date.now() } : {
        ok: false,
        revision: d.revision,
        error: d.error ?? "the deploy failed",
        at: Date.now(),
      };
    } catch (error) {
      return { ok: false, error: errorMessage(error), at: Date.now() };
    }
  };

  return {
    flora,
    emulator,
    guild,
    entry: options.entry,
    carriedOver,
    deploy() {
      // One deploy at a time, in order of request.
      const next = queue.then(deployOnce).then((result) => {
        last = result;
        for (const listener of listeners) listener(result);
        return result;
      });
      queue = next.catch(() => {});
      return next;
    },
    lastDeploy: () => last,
    recentLogs: () => [...recent],
    onLog(listener) {
      logListeners.add(listener);
      return () => logListeners.delete(listener);
    },
    onDeploy(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await queue;
      await flora.close();
    },
  };
}
