/**
 * The part of a sorted-set store every backend shares: argument checks, the
 * per-guild write rate and the key limits, in front of a backend that only
 * reads and writes (`embedded/sorted.ts`, `postgres/sorted.ts`).
 *
 * @example
 * ```ts
 * const store = new CheckedSortedStore(new KvSortedBackend(kv), { maxKeysPerSet: 100 });
 * await store.incr(guildId, "xp", userId, 5);
 * ```
 *
 * @module
 */

import { checkGuildId, checkStoreName } from "./guild_kv_limits.ts";
import {
  type CheckedRange,
  checkRange,
  checkScore,
  checkSortedAddress,
  checkTop,
  DEFAULT_SORTED_QUOTA,
  incremented,
  overQuota,
  type SortedQuota,
} from "./sorted_limits.ts";
import {
  type GuildSortedStore,
  type SortedEntry,
  type SortedPage,
  type SortedRangeOptions,
  StorageInputError,
} from "./types.ts";
import { WriteRateLimiter } from "./write_rate.ts";

/** What a backend provides; every argument it gets has been checked. */
export interface SortedBackend {
  /**
   * Atomically replaces the key's score by `decide(current)` (current: null
   * when absent). For a new key, calls `admit` with the set's and the guild's
   * key counts first; `admit` throws when the key does not fit.
   */
  write(
    guildId: string,
    set: string,
    key: string,
    decide: (current: number | null) => number,
    admit: (inSet: number, inGuild: number) => void,
  ): Promise<number>;
  score(guildId: string, set: string, key: string): Promise<number | null>;
  delete(guildId: string, set: string, key: string): Promise<boolean>;
  top(guildId: string, set: string, n: number): Promise<SortedEntry[]>;
  /** How many keys sort before `key` (which has `score`). */
  countBefore(guildId: string, set: string, key: string, score: number): Promise<number>;
  /** A page of a non-empty range. */
  range(guildId: string, set: string, range: CheckedRange): Promise<SortedPage>;
}

/** A {@linkcode GuildSortedStore} that checks its input and limits, then asks a backend. */
export class CheckedSortedStore implements GuildSortedStore {
  readonly #backend: SortedBackend;
  readonly #quota: SortedQuota;
  readonly #writeRate: WriteRateLimiter;

  constructor(backend: SortedBackend, quota: Partial<SortedQuota> = {}) {
    this.#backend = backend;
    this.#quota = { ...DEFAULT_SORTED_QUOTA, ...quota };
    this.#writeRate = new WriteRateLimiter(this.#quota.maxWritesPerMinute);
  }

  async incr(guildId: string, set: string, key: string, by: number): Promise<number> {
    checkSortedAddress(guildId, set, key);
    incremented(0, by, set, key);
    return await this.#write(
      guildId,
      set,
      key,
      (current) => incremented(current ?? 0, by, set, key),
    );
  }

  async set(guildId: string, set: string, key: string, score: number): Promise<void> {
    checkSortedAddress(guildId, set, key);
    checkScore(score);
    await this.#write(guildId, set, key, () => score);
  }

  async score(guildId: string, set: string, key: string): Promise<number | null> {
    checkSortedAddress(guildId, set, key);
    return await this.#backend.score(guildId, set, key);
  }

  async delete(guildId: string, set: string, key: string): Promise<boolean> {
    checkSortedAddress(guildId, set, key);
    this.#writeRate.take(guildId);
    return await this.#backend.delete(guildId, set, key);
  }

  async top(guildId: string, set: string, n: number): Promise<SortedEntry[]> {
    checkGuildId(guildId);
    checkStoreName(set);
    checkTop(n);
    return await this.#backend.top(guildId, set, n);
  }

  async rank(guildId: string, set: string, key: string): Promise<number | null> {
    const score = await this.score(guildId, set, key);
    if (score === null) return null;
    return await this.#backend.countBefore(guildId, set, key, score) + 1;
  }

  async range(guildId: string, set: string, options?: SortedRangeOptions): Promise<SortedPage> {
    checkGuildId(guildId);
    checkStoreName(set);
    const range = checkRange(options);
    if (range.max === -Infinity || range.min === Infinity) return { entries: [] };
    return await this.#backend.range(guildId, set, range);
  }

  async #write(
    guildId: string,
    set: string,
    key: string,
    decide: (current: number | null) => number,
  ): Promise<number> {
    this.#writeRate.take(guildId);
    return await this.#backend.write(guildId, set, key, decide, (inSet, inGuild) => {
      const full = overQuota(this.#quota, set, inSet, inGuild);
      if (full) throw new StorageInputError(full);
    });
  }
}
