/**
 * Test scaffolding: a real Discordeno bot wired to an emulator the way
 * flora's runtime wires it, a raw-payload recorder to await gateway events,
 * and a teardown that leaves no timers behind (Deno's sanitizers check).
 *
 * @module
 */

import { type Bot, createBot, GatewayIntents } from "@discordeno/bot";
import nodeAssert from "node:assert/strict";
import { type Emulator, EmulatorClient, type EmulatorOptions, startEmulator } from "./mod.ts";
import { specViolations } from "./spec_conformance.ts";

/** A gateway payload as Discordeno hands it over (snake case, untransformed). */
export interface RawPayload {
  op: number;
  t: string | null;
  s: number | null;
  d: unknown;
}

export interface TestBot {
  bot: Bot;
  payloads: RawPayload[];
  /** Resolves with the first payload (already received or future) matching `predicate`. */
  waitFor(predicate: (p: RawPayload) => boolean, label?: string): Promise<RawPayload>;
  /** Shorthand: the first dispatch of type `t` whose `d` matches. */
  waitForDispatch<T = Record<string, unknown>>(
    t: string,
    match?: (d: T) => boolean,
  ): Promise<T>;
  stop(): Promise<void>;
}

const silent = () => ({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  fatal: () => {},
});

/** How long a test waits for an expected event before failing instead of hanging. */
const GUARD_MS = 15_000;

export const DEFAULT_TEST_INTENTS = GatewayIntents.Guilds | GatewayIntents.GuildMessages |
  GatewayIntents.MessageContent | GatewayIntents.GuildMembers |
  GatewayIntents.GuildMessageReactions;

/** Starts a Discordeno bot against the emulator and waits until its shard(s) are READY. */
export async function startTestBot(
  emu: Emulator,
  options: { intents?: number; queue?: boolean; token?: string } = {},
): Promise<TestBot> {
  const payloads: RawPayload[] = [];
  const waiters: { predicate: (p: RawPayload) => boolean; resolve: (p: RawPayload) => void }[] = [];
  const token = options.token ?? emu.token;
  const bot = createBot({
    token,
    intents: options.intents ?? DEFAULT_TEST_INTENTS,
    loggerFactory: silent,
    rest: { proxy: { baseUrl: emu.restBase, authorization: `Bot ${token}` } },
    gateway: { spawnShardDelay: 1 },
    events: {
      raw: (data) => {
        const payload = data as unknown as RawPayload;
        payloads.push(payload);
        for (const waiter of [...waiters]) {
          if (waiter.predicate(payload)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(payload);
          }
        }
      },
    },
  });
  // flora's runtime keeps Discordeno's rate-limit queue on; test that mode by default.
  if (options.queue !== false) bot.rest.isProxied = false;

  const waitFor = (predicate: (p: RawPayload) => boolean, label = "payload") => {
    const seen = payloads.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<RawPayload>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`timed out waiting for ${label}`));
      }, GUARD_MS);
      const waiter = {
        predicate,
        resolve: (p: RawPayload) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
      waiters.push(waiter);
    });
  };

  const waitForDispatch = async <T>(t: string, match?: (d: T) => boolean) => {
    const payload = await waitFor((p) => p.t === t && (!match || match(p.d as T)), t);
    return payload.d as T;
  };

  await bot.start();
  return {
    bot,
    payloads,
    waitFor,
    waitForDispatch,
    stop: () => stopBot(bot),
  };
}

/** What {@linkcode withTestBot} hands its test. */
export interface TestBotContext {
  emu: Emulator;
  tb: TestBot;
  control: EmulatorClient;
}

/**
 * Runs `fn` with an emulator, a READY test bot and a control client, checks
 * every REST response and dispatch of the run against Discord's spec, and
 * tears both down afterwards, whatever `fn` does.
 *
 * @example
 * ```ts
 * await withTestBot({ heartbeatIntervalMs: 1100 }, {}, async ({ tb }) => {
 *   await tb.waitForDispatch("READY");
 * });
 * ```
 */
export async function withTestBot(
  emulatorOptions: EmulatorOptions,
  botOptions: Parameters<typeof startTestBot>[1],
  fn: (ctx: TestBotContext) => Promise<void>,
): Promise<void> {
  const emu = await startEmulator(emulatorOptions);
  try {
    const tb = await startTestBot(emu, botOptions);
    try {
      await fn({ emu, tb, control: new EmulatorClient(emu.url) });
      // Whatever the test did, everything sent must match Discord's spec.
      assertEquals(specViolations(emu.actions.list(), tb.payloads), [], "spec violations");
    } finally {
      await tb.stop();
    }
  } finally {
    await emu.close();
  }
}

/** Shuts the bot down and clears the REST queue's idle timers. */
export async function stopBot(bot: Bot): Promise<void> {
  await bot.shutdown();
  for (const queue of bot.rest.queues.values()) {
    clearTimeout(queue.deleteQueueTimeout);
    clearTimeout(queue.timeoutId);
  }
  bot.rest.queues.clear();
}

/**
 * Runs `fn` with an emulator (no bot) and the seeded guild's #general, and
 * closes the emulator afterwards, whatever `fn` does.
 *
 * @example
 * ```ts
 * await withEmulator({ identifyIntervalMs: 0 }, async (emu, general) => {
 *   await api(emu, "POST", `/channels/${general}/messages`, { content: "hi" });
 * });
 * ```
 */
export async function withEmulator(
  options: EmulatorOptions,
  fn: (emu: Emulator, general: string) => Promise<void>,
): Promise<void> {
  const emu = await startEmulator(options);
  try {
    await fn(emu, emu.seeded!.guilds[0].channels.general);
  } finally {
    await emu.close();
  }
}

/** A REST reply as tests read it. */
export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * Calls the emulator's REST API as the bot (or with `auth`); a `FormData`
 * body is sent as multipart (uploads), anything else as JSON.
 *
 * @example
 * ```ts
 * const me = await api(emu, "GET", "/users/@me");
 * ```
 */
export async function api(
  emu: Emulator,
  method: string,
  path: string,
  body?: unknown,
  auth: string | null = `Bot ${emu.token}`,
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  const multipart = body instanceof FormData;
  if (body !== undefined && !multipart) headers["content-type"] = "application/json";
  const response = await fetch(`${emu.restBase}/v10${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : multipart ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

// ---- assertions (JSR's @std/assert is unreachable here; node's is wrapped to std's shape) ----

export function assert(condition: unknown, message?: string): asserts condition {
  if (message === undefined) nodeAssert.ok(condition);
  else nodeAssert.ok(condition, message);
}

export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  if (message === undefined) nodeAssert.deepStrictEqual(actual, expected);
  else nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertExists<T>(value: T, message?: string): asserts value is NonNullable<T> {
  nodeAssert.ok(value !== null && value !== undefined, message ?? "expected a value");
}

/** Awaits `fn`, requires it to reject, and returns the rejection. */
export async function assertRejects(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new nodeAssert.AssertionError({ message: "expected the promise to reject" });
}
