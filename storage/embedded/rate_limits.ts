/**
 * RateLimitStore on Deno KV: a sliding window over two fixed-window counters
 * (`storage/ephemeral_common.ts`, `slidingWindow`), `["ratelimit", key,
 * windowStart]`, each expiring once the window after it has passed.
 *
 * @module
 */

import { rateWindow, slidingWindow } from "../ephemeral_common.ts";
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
      const [previous, current] = await this.#kv.getMany<[number, number]>([
        ["ratelimit", key, start - windowMs],
        counterKey,
      ]);
      const count = current.value ?? 0;
      const result = slidingWindow({
        prev: previous.value ?? 0,
        curr: count,
        start,
        now,
        limit,
        windowMs,
      });
      if (!result.allowed) return done(result);
      const committed = await this.#kv.atomic()
        .check(current)
        // Kept through the next window, where it weighs in as the previous one.
        .set(counterKey, count + 1, { expireIn: Math.max(1, resetAt + windowMs - Date.now()) })
        .commit();
      return committed.ok ? done(result) : AGAIN;
    });
  }
}
