/**
 * Opens a node-redis client. Keys of every Redis-backed store start with a
 * prefix (default `flora:`) so flora can share a Redis and tests can use a
 * prefix per run and delete exactly their own keys.
 *
 * @module
 */

import { createClient } from "redis";
import { answersWithin } from "../backend_deadline.ts";

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

/**
 * A connected client; later connection errors are logged while node-redis
 * reconnects. Rejects with a {@linkcode BackendUnavailableError} naming Redis
 * when it refuses, or does not answer within `timeoutMs`.
 */
export async function connectRedis(
  url: string,
  options: { timeoutMs?: number } = {},
): Promise<RedisClient> {
  const state = { connected: false };
  const client = makeClient(url, state);
  client.on("error", (error: unknown) => {
    if (state.connected) console.error("redis:", error);
  });
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
