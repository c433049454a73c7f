/**
 * RateLimitStore on Redis: fixed windows counted with INCR and expired with
 * PEXPIREAT in one MULTI, so every host sharing the Redis shares the limit.
 *
 * @module
 */

import { rateWindow } from "../ephemeral_common.ts";
import type { RateLimitResult, RateLimitStore } from "../types.ts";
import type { RedisClient } from "./connect.ts";

export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix = "flora:") {
    this.#redis = redis;
    this.#prefix = `${prefix}ratelimit:`;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const { start, resetAt } = rateWindow(key, limit, windowMs, Date.now());
    const counterKey = `${this.#prefix}${key}:${start}`;
    const [count] = await this.#redis.multi()
      .incr(counterKey)
      .pExpireAt(counterKey, resetAt)
      .exec();
    if (typeof count !== "number") throw new Error(`unexpected INCR reply ${String(count)}`);
    return count <= limit
      ? { allowed: true, remaining: limit - count, resetAt }
      : { allowed: false, remaining: 0, resetAt };
  }
}
