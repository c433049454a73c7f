/**
 * Sliding-window rate limit counters in this process's memory. For a single
 * host on the embedded database: there, counting every API request with a
 * durable write (an fsync each, ~7 ms) capped the API at about a hundred
 * requests a second, while the counters only need to live for two windows.
 * Hosts that share a backend keep using the shared store.
 *
 * @module
 */

import { slidingWindow } from "../storage/ephemeral_common.ts";
import type { RateLimitResult, RateLimitStore } from "../storage/types.ts";

/** A RateLimitStore that forgets everything on restart (windows are short). */
export class MemoryRateLimitStore implements RateLimitStore {
  /** Per key: the current fixed window's start and count, and the previous window's count. */
  #windows = new Map<string, { start: number; count: number; prev: number }>();
  #nextSweep = 0;

  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const now = Date.now();
    if (now >= this.#nextSweep) this.#sweep(now, windowMs);
    const start = Math.floor(now / windowMs) * windowMs;
    let window = this.#windows.get(key);
    if (!window || window.start !== start) {
      const prev = window?.start === start - windowMs ? window.count : 0;
      window = { start, count: 0, prev };
      this.#windows.set(key, window);
    }
    const result = slidingWindow({
      prev: window.prev,
      curr: window.count,
      start,
      now,
      limit,
      windowMs,
    });
    if (result.allowed) window.count++;
    return Promise.resolve(result);
  }

  /** Drops windows too old to count, so callers that went away do not accumulate. */
  #sweep(now: number, windowMs: number): void {
    for (const [key, window] of this.#windows) {
      if (window.start + 2 * windowMs <= now) this.#windows.delete(key);
    }
    this.#nextSweep = now + windowMs;
  }
}
