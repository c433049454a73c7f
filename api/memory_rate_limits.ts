/**
 * Fixed-window rate limit counters in this process's memory. For a single
 * host on the embedded database: there, counting every API request with a
 * durable write (an fsync each, ~7 ms) capped the API at about a hundred
 * requests a second, while the counters only need to live for their
 * one-minute window. Hosts that share a backend keep using the shared store.
 *
 * @module
 */

import type { RateLimitResult, RateLimitStore } from "../storage/types.ts";

/** A RateLimitStore that forgets everything on restart (windows are short). */
export class MemoryRateLimitStore implements RateLimitStore {
  #windows = new Map<string, { resetAt: number; count: number }>();
  #nextSweep = 0;

  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const now = Date.now();
    if (now >= this.#nextSweep) this.#sweep(now, windowMs);
    let window = this.#windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { resetAt: (Math.floor(now / windowMs) + 1) * windowMs, count: 0 };
      this.#windows.set(key, window);
    }
    if (window.count >= limit) {
      return Promise.resolve({ allowed: false, remaining: 0, resetAt: window.resetAt });
    }
    window.count++;
    return Promise.resolve({
      allowed: true,
      remaining: limit - window.count,
      resetAt: window.resetAt,
    });
  }

  /** Drops expired windows, so callers that went away do not accumulate. */
  #sweep(now: number, windowMs: number): void {
    for (const [key, window] of this.#windows) {
      if (window.resetAt <= now) this.#windows.delete(key);
    }
    this.#nextSweep = now + windowMs;
  }
}
