/**
 * RateLimitStore on Deno KV: one counter per key and fixed window,
 * `["ratelimit", key, windowStart]`, expiring with the window.
 *
 * @module
 */

import { rateWindow } from "../ephemeral_common.ts";
import type { RateLimitResult, RateLimitStore } from "../types.ts";
import { AGAIN, done, retryAtomic } from "./retry.ts";

export class KvRateLimitStore implements RateLimitStore {
  readonly #kv: Deno.Kv;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const now = Date.now();
    const { start, resetAt } = rateWindow(key, limit, windowMs, now);
    const counterKey: Deno.KvKey = ["ratelimit", key, start];
    return await retryAtomic<RateLimitResult>("rate limit", async () => {
      const entry = await this.#kv.get<number>(counterKey);
      const count = entry.value ?? 0;
      if (count >= limit) return done({ allowed: false, remaining: 0, resetAt });
      const result = await this.#kv.atomic()
        .check(entry)
        .set(counterKey, count + 1, { expireIn: Math.max(1, resetAt - Date.now()) })
        .commit();
      return result.ok ? done({ allowed: true, remaining: limit - count - 1, resetAt }) : AGAIN;
    });
  }
}
