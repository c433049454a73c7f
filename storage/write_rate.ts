/**
 * Per-guild write rate for the guild KV: at most N writes in any 60-second
 * window, counted in one-second buckets (O(1) per write). Counted in the
 * process that serves the guild, which is where its script's writes arrive.
 *
 * @module
 */

import { StorageInputError } from "./types.ts";

const WINDOW_S = 60;

/** Counts writes per guild and refuses those over the limit. */
export class WriteRateLimiter {
  #guilds = new Map<string, { buckets: Uint32Array; second: number; total: number }>();

  constructor(readonly perMinute: number, readonly now: () => number = Date.now) {}

  /**
   * Records one write for `guildId`, or throws {@linkcode StorageInputError}
   * when the guild already made `perMinute` writes in the last minute.
   *
   * @example
   * ```ts
   * const limiter = new WriteRateLimiter(2);
   * limiter.take("g"); limiter.take("g");
   * limiter.take("g"); // throws: 2 writes per minute
   * ```
   */
  take(guildId: string): void {
    const second = Math.floor(this.now() / 1000);
    let state = this.#guilds.get(guildId);
    if (!state) {
      state = { buckets: new Uint32Array(WINDOW_S), second, total: 0 };
      this.#guilds.set(guildId, state);
    }
    // Empty the buckets of the seconds that passed since the last write.
    const elapsed = Math.min(second - state.second, WINDOW_S);
    for (let i = 1; i <= elapsed; i++) {
      const slot = (state.second + i) % WINDOW_S;
      state.total -= state.buckets[slot];
      state.buckets[slot] = 0;
    }
    state.second = Math.max(state.second, second);
    if (state.total >= this.perMinute) {
      throw new StorageInputError(
        `too many KV writes: this guild may write ${this.perMinute} times per minute; ` +
          "batch values into fewer keys or write less often",
      );
    }
    state.buckets[state.second % WINDOW_S]++;
    state.total++;
  }
}
