/**
 * RateLimitStore on Redis: a sliding window over two fixed-window counters
 * (`storage/ephemeral_common.ts`, `slidingWindow`), read, decided and counted
 * in one Lua script, so every host sharing the Redis shares the limit.
 *
 * @module
 */

import { rateWindow, slidingWindow } from "../ephemeral_common.ts";
import type { RateLimitResult, RateLimitStore } from "../types.ts";
import type { RedisClient } from "./connect.ts";

// KEYS: previous, current counter. ARGV: weight of the previous window, limit, expiry ms.
const HIT = `
local prev = tonumber(redis.call('GET', KEYS[1]) or '0')
local curr = tonumber(redis.call('GET', KEYS[2]) or '0')
if prev * tonumber(ARGV[1]) + curr + 1 <= tonumber(ARGV[2]) then
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return {1, prev, curr}
end
return {0, prev, curr}
`;

export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix = "flora:") {
    this.#redis = redis;
    this.#prefix = `${prefix}ratelimit:`;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const now = Date.now();
    const { start } = rateWindow(key, limit, windowMs, now);
    const reply = await this.#redis.eval(HIT, {
      keys: [`${this.#prefix}${key}:${start - windowMs}`, `${this.#prefix}${key}:${start}`],
      // Kept through the next window, where it weighs in as the previous one.
      arguments: [String(1 - (now - start) / windowMs), String(limit), String(2 * windowMs)],
    });
    if (!Array.isArray(reply) || reply.length !== 3) {
      throw new Error(`unexpected rate-limit script reply ${JSON.stringify(reply)}`);
    }
    const [allowed, prev, curr] = reply.map(Number);
    const result = slidingWindow({ prev, curr, start, now, limit, windowMs });
    // The script's decision stands (it saw the counters at the moment it counted).
    return allowed === 1
      ? { ...result, allowed: true }
      : { allowed: false, remaining: 0, resetAt: result.allowed ? now + 1 : result.resetAt };
  }
}
