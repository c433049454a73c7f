/**
 * Opens the Redis backend: the short-lived, shared state (sessions, cache,
 * rate-limit counters, deployment change broadcast).
 *
 * @module
 */

import { RedisCacheStore } from "./cache.ts";
import { connectRedis, type RedisClient, type RedisNotice } from "./connect.ts";
import { RedisDeploymentEvents } from "./events.ts";
import { RedisRateLimitStore } from "./rate_limits.ts";
import { RedisSessionStore } from "./sessions.ts";

export interface RedisStorage {
  client: RedisClient;
  sessions: RedisSessionStore;
  cache: RedisCacheStore;
  rateLimits: RedisRateLimitStore;
  events: RedisDeploymentEvents;
  /** Closes the client (waiting for pending commands). */
  close(): Promise<void>;
}

/** Connects to `url`; every key and channel starts with `prefix`. */
export async function openRedisStorage(
  url: string,
  prefix = "flora:",
  options: { timeoutMs?: number; notice?: RedisNotice } = {},
): Promise<RedisStorage> {
  const client = await connectRedis(url, options);
  return {
    client,
    sessions: new RedisSessionStore(client, prefix),
    cache: new RedisCacheStore(client, prefix),
    rateLimits: new RedisRateLimitStore(client, prefix),
    events: new RedisDeploymentEvents(client, prefix, options.notice),
    async close() {
      if (client.isOpen) await client.close();
    },
  };
}
