/**
 * The stage for hostile-script tests: a real flora host (in this process,
 * with its sandbox processes, emulator, API and storage), a healthy guild
 * that answers `!ping` beside every attack, and helpers to deploy scripts
 * through the API and talk to guilds as a Discord user would.
 *
 * @module
 */

import { CapturedOutput } from "../helpers/captured_output.ts";
import assert from "node:assert/strict";
import { type BotAction, EmulatorClient, type GuildSummary } from "../../emulator/mod.ts";
import { loadConfig } from "../../runtime/config.ts";
import { type Flora, startFlora } from "../../runtime/flora.ts";
import { processIndex } from "../../runtime/sandbox/pool.ts";

/** The healthy neighbour's script: answers `!ping` and keeps a secret in its KV. */
export const HEALTHY = `
createBot({ prefixCommands: [
  prefix({ name: "ping", run: (ctx) => ctx.reply("pong") }),
  prefix({ name: "store", run: async (ctx) => { await kv("vault").set("secret", "healthy-secret"); await ctx.reply("stored"); } }),
] });
`;

/**
 * A hostile script: answers `!ping`, and runs `run` at the top of every
 * `!attack` (with `ctx` in scope).
 *
 * @example
 * ```ts
 * await arena.deploy(hostile, attackScript("while (true) {}"));
 * ```
 */
export function attackScript(run: string): string {
  return `
createBot({ prefixCommands: [
  prefix({ name: "ping", run: (ctx) => ctx.reply("pong") }),
  prefix({ name: "attack", run: async (ctx) => { ${run} } }),
] });
`;
}

/**
 * Script helpers for attack reports: `report(ctx, vectors)` tries each
 * vector and replies one line per vector, `blocked <name>: <error>` or
 * `ESCAPED <name>: <result>` (check with {@linkcode assertAllBlocked}).
 */
export const ATTEMPTS = `
const attempt = async (name, fn) => {
  try {
    const result = await fn();
    return "ESCAPED " + name + ": " + String(result).slice(0, 60);
  } catch (error) {
    return "blocked " + name + ": " + String(error && error.message).replace(/\\s+/g, " ").slice(0, 120);
  }
};
const report = async (ctx, vectors) => {
  const lines = [];
  for (const [name, fn] of Object.entries(vectors)) lines.push(await attempt(name, fn));
  await ctx.reply(lines.join("\\n"));
};
`;

/** Asserts a `report` reply has one line per vector and every one was blocked. */
export function assertAllBlocked(reply: string, vectors: number): void {
  const lines = reply.split("\n");
  assert.equal(lines.length, vectors, reply);
  for (const line of lines) assert.match(line, /^blocked /, `attack succeeded: ${line}`);
}

/** A guild of the arena with what tests need to act in it. */
export interface ArenaGuild {
  id: string;
  channelId: string;
  userId: string;
  /** Index of the sandbox process its worker lives in. */
  process: number;
}

/** A running flora and its emulator, set up for hostile tests. */
export interface Arena {
  flora: Flora;
  /**
   * The sandbox processes' stderr and the host's notices, kept aside with `captureOutput`
   * (a killed process's crash report is expected there); else both go to stderr.
   */
  output: CapturedOutput;
  emu: EmulatorClient;
  /** The operator token of the API. */
  token: string;
  /** Guilds hashed to sandbox process 0 (`[0]`, `[1]`) and process 1 (`[2]`). */
  guilds: [ArenaGuild, ArenaGuild, ArenaGuild];
  /** Deploys a script through the API; resolves with the deployment summary. */
  deploy(
    guild: ArenaGuild,
    code: string,
    options?: { fetchHosts?: string[] },
  ): Promise<{ status: string; error?: string }>;
  /** Sends a message as a user; resolves with the bot's reply in that channel. */
  ask(guild: ArenaGuild, content: string, timeoutMs?: number): Promise<string>;
  /** Sends a message as a user without waiting for anything. */
  say(guild: ArenaGuild, content: string): Promise<void>;
  /** Asserts the guild answers `!ping` (its script is HEALTHY). */
  assertAnswers(guild: ArenaGuild, timeoutMs?: number): Promise<void>;
  /** Asserts the neighbours of `guilds[0]` (`guilds[1]` and `guilds[2]`) answer `!ping`. */
  assertNeighboursAnswer(timeoutMs?: number): Promise<void>;
  /** The guild's log lines, oldest first. */
  logs(guild: ArenaGuild): Promise<string[]>;
  /** How many log lines the guild has now: pass to `waitForLog` to skip older ones. */
  logMark(guild: ArenaGuild): Promise<number>;
  /** Waits until a log line of the guild (after `after` lines) matches. */
  waitForLog(
    guild: ArenaGuild,
    pattern: RegExp,
    timeoutMs?: number,
    after?: number,
  ): Promise<string>;
  /** The guild's current deployment through the API (null when none is active). */
  current(guild: ArenaGuild): Promise<{ status: string } | null>;
  /** Deployment history through the API, newest first. */
  history(guild: ArenaGuild): Promise<{ status: string; error?: string }[]>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts flora with test-speed budgets; `env` overrides any setting. With `captureOutput`,
 * what the sandbox processes print (a memory bomb's out-of-memory report) goes to
 * `arena.output`, shown only by the steps that fail (`arena.output.step`).
 */
export async function openArena(
  env: Record<string, string> = {},
  options: {
    captureOutput?: boolean;
    /**
     * Guilds (indices into `arena.guilds`) to run in sandbox processes of their own
     * (`FLORA_DEDICATED_GUILDS`): flora starts once to learn the emulator's guild ids, then
     * again with the setting (the emulator's world is kept in the data dir).
     */
    dedicated?: number[];
  } = {},
): Promise<Arena> {
  const output = new CapturedOutput();
  const dataDir = await Deno.makeTempDir({ prefix: "flora-hostile-" });
  const token = "hostile-test-operator-token";
  const start = (extra: Record<string, string> = {}) =>
    startFlora(
      loadConfig({
        FLORA_DATA_DIR: dataDir,
        FLORA_API_PORT: "0",
        FLORA_EMULATOR_PORT: "0",
        FLORA_OPERATOR_TOKEN: token,
        FLORA_SANDBOX_PROCESSES: "2",
        FLORA_SANDBOX_HEAP_MB: "128",
        FLORA_GUILD_HEAP_MB: "96",
        FLORA_EVENT_TIMEOUT_MS: "1000",
        FLORA_LOAD_TIMEOUT_MS: "5000",
        FLORA_GUILD_LOG_LINES: "50",
        ...env,
        ...extra,
      }),
      {
        spawnShardDelay: 1,
        emulatorHeartbeatMs: 2_000,
        emulatorIdentifyIntervalMs: 0,
        ...(options.captureOutput
          ? {
            onSandboxStderr: output.write,
            onNotice: (level: string, message: string) =>
              output.line(`[flora] ${level}: ${message}`),
          }
          : {}),
      },
    );
  let flora = await start();
  let emu = new EmulatorClient(flora.emulator!.url);
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

  // Guilds land on processes by hash: make two on process 0 and one on process 1.
  const byProcess: ArenaGuild[][] = [[], []];
  const place = (g: GuildSummary) => {
    const process = processIndex(g.id, 2);
    const channelId = g.channels.find((c) => c.name === "general")?.id ?? g.channels[0].id;
    const userId = g.members.find((m) => !m.bot)?.userId ?? g.ownerId;
    byProcess[process].push({ id: g.id, channelId, userId, process });
  };
  for (const g of (await emu.world()).guilds) place(g);
  for (let i = 0; byProcess[0].length < 2 || byProcess[1].length < 1; i++) {
    if (i > 40) throw new Error("could not place guilds on both sandbox processes");
    place(await emu.createGuild({ name: `arena ${i}`, channels: ["general"] }));
  }
  const guilds: [ArenaGuild, ArenaGuild, ArenaGuild] = [
    byProcess[0][0],
    byProcess[0][1],
    byProcess[1][0],
  ];
  if (options.dedicated?.length) {
    await flora.close();
    const ids = options.dedicated.map((i) => guilds[i].id).join(",");
    flora = await start({ FLORA_DEDICATED_GUILDS: ids });
    emu = new EmulatorClient(flora.emulator!.url);
  }

  const api = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${flora.apiUrl}${path}`, { ...init, headers });
    return { status: response.status, body: await response.json() };
  };

  const say = async (guild: ArenaGuild, content: string) => {
    await emu.sendMessage({
      guildId: guild.id,
      channelId: guild.channelId,
      userId: guild.userId,
      content,
    });
  };

  const ask = async (guild: ArenaGuild, content: string, timeoutMs = 20_000) => {
    const since = (await emu.actions()).at(-1)?.seq ?? 0;
    await say(guild, content);
    const reply = await emu.waitForAction(
      (a: BotAction) =>
        a.seq > since && a.route === "POST /channels/:id/messages" &&
        a.channelId === guild.channelId,
      timeoutMs,
    ).catch(async (error) => {
      const recent = (await flora.logs.recent(guild.id, 5)).map((l) => l.message).join("\n");
      throw new Error(`guild ${guild.id} did not answer ${content}: ${error.message}\n${recent}`);
    });
    return String((reply.body as { content?: unknown }).content ?? "");
  };

  const logs = async (guild: ArenaGuild) =>
    (await flora.logs.recent(guild.id, 5_000)).map((l) => l.message);

  const assertAnswers = async (guild: ArenaGuild, timeoutMs = 20_000) => {
    const mark = (await logs(guild)).length;
    const answer = await ask(guild, "!ping", timeoutMs / 2).catch(async (error) => {
      // A ping lost with a crashed sandbox process (started in a worker there, or waiting on a
      // start the crash cut short) is not delivered again: only then is asking again fair.
      const since = (await logs(guild)).slice(mark);
      if (!since.some((line) => /sandbox process \d+ (was killed|exited)/.test(line))) {
        throw error;
      }
      return ask(guild, "!ping", timeoutMs);
    });
    assert.equal(answer, "pong");
  };

  return {
    flora,
    emu,
    token,
    guilds,
    async deploy(guild, code, options = {}) {
      const { body } = await api(`/deployments/${guild.id}`, {
        method: "POST",
        body: JSON.stringify({ entry: "hostile.ts", code, ...options }),
      });
      return body.deployment ?? body;
    },
    ask,
    say,
    assertAnswers,
    async assertNeighboursAnswer(timeoutMs) {
      await assertAnswers(guilds[1], timeoutMs);
      await assertAnswers(guilds[2], timeoutMs);
    },
    logs,
    async logMark(guild) {
      return (await logs(guild)).length;
    },
    async waitForLog(guild, pattern, timeoutMs = 10_000, after = 0) {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const line = (await logs(guild)).slice(after).find((l) => pattern.test(l));
        if (line) return line;
        if (Date.now() > deadline) {
          throw new Error(
            `no log line of guild ${guild.id} matched ${pattern} within ${timeoutMs} ms:\n` +
              (await logs(guild)).slice(-20).join("\n"),
          );
        }
        await sleep(50);
      }
    },
    async current(guild) {
      const { status, body } = await api(`/deployments/${guild.id}/current`);
      return status === 200 ? body.deployment : null;
    },
    async history(guild) {
      const { body } = await api(`/deployments/${guild.id}`);
      return body.deployments;
    },
    output,
    async close() {
      await flora.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
