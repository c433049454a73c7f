/**
 * Opens a node-redis client. Keys of every Redis-backed store start with a
 * prefix (default `flora:`) so flora can share a Redis and tests can use a
 * prefix per run and delete exactly their own keys.
 *
 * @module
 */

import { createClient } from "redis";
import { answersWithin } from "../backend_deadline.ts";
import { errorMessage } from "../../shared/error_message.ts";

function makeClient(url: string, state: { connected: boolean }) {
  return createClient({
    url,
    // While Redis is down, commands fail at once instead of queueing: callers
    // (API sessions, caches) report the outage rather than hang.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      // Fail fast when the server is down at start (a clear error beats hanging);
      // once connected, keep reconnecting with a capped backoff.
      reconnectStrategy: (retries: number, cause: Error) =>
        state.connected ? Math.min(100 * 2 ** retries, 5000) : cause,
    },
  });
}

/** The client type as flora creates it (default modules, RESP3). */
export type RedisClient = ReturnType<typeof makeClient>;

/** Where a Redis connection reports losing and regaining the server (default: stderr). */
export type RedisNotice = (message: string) => void;

/**
 * Reports a connection's state changes in one line each: lost (with the first error's
 * message), then back. node-redis emits an error on every reconnect attempt, each with a
 * stack trace: an outage would otherwise fill the log.
 *
 * @example
 * ```ts
 * reportConnection(client, "redis", (m) => console.error(m), () => connected);
 * ```
 */
export function reportConnection(
  client: { on(event: string, listener: (error?: unknown) => void): unknown },
  name: string,
  notice: RedisNotice,
  active: () => boolean = () => true,
): void {
  let lost = false;
  client.on("error", (error: unknown) => {
    if (lost || !active()) return;
    lost = true;
    notice(`${name}: connection lost (${errorMessage(error)}); reconnecting`);
  });
  client.on("ready", () => {
    if (!lost) return;
    lost = false;
    notice(`${name}: reconnected`);
  });
}

/**
 * A connected client; later connection losses are reported (see {@linkcode reportConnection})
 * while node-redis reconnects. Rejects with a {@linkcode BackendUnavailableError} naming Redis
 * when it refuses, or does not answer within `timeoutMs`.
 */
export async function connectRedis(
  url: string,
  options: { timeoutMs?: number; notice?: RedisNotice } = {},
): Promise<RedisClient> {
  const state = { connected: false };
  const client = makeClient(url, state);
  reportConnection(client, "redis", options.notice ?? console.error, () => state.connected);
  await answersWithin("Redis", url, client.connect(), {
    timeoutMs: options.timeoutMs,
    abandon: () => client.destroy(),
  });
  state.connected = true;
  return client;
}

/** Deletes every key starting with `prefix` (test cleanup). */
export async function deleteKeysWithPrefix(client: RedisClient, prefix: string): Promise<void> {
  const pattern = prefix.replace(/[*?[\]\\]/g, "\\$&") + "*";
  for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys);
  }
}
