/**
 * Limits of the per-guild sorted sets and the checks every backend applies,
 * so both answer bad input with the same message. The page cursor is ours
 * (the last entry's score and key), not a backend's, so it means the same
 * thing on Deno KV and PostgreSQL.
 *
 * @module
 */

import { checkGuildId, checkIncrement, checkKey, checkStoreName } from "./guild_kv_limits.ts";
import { type SortedEntry, type SortedRangeOptions, StorageInputError } from "./types.ts";

/** Per-guild limits of sorted sets. */
export interface SortedQuota {
  /**
   * Most keys one set may hold.
   * @default {10_000}
   */
  maxKeysPerSet: number;
  /**
   * Most keys across all of a guild's sets.
   * @default {100_000}
   */
  maxKeysPerGuild: number;
  /**
   * Most writes (incr, set, delete) per guild per minute.
   * @default {6_000}
   */
  maxWritesPerMinute: number;
}

export const DEFAULT_SORTED_QUOTA: SortedQuota = {
  maxKeysPerSet: 10_000,
  maxKeysPerGuild: 100_000,
  maxWritesPerMinute: 6_000,
};

/** Most keys `top` returns at once. */
export const MAX_TOP = 1000;

/** Checks the guild, set name and key of a call. */
export function checkSortedAddress(guildId: string, set: string, key: string): void {
  checkGuildId(guildId);
  checkStoreName(set);
  checkKey(key);
}

/** Checks a score given to `set`. */
export function checkScore(score: number): void {
  if (typeof score !== "number" || !Number.isFinite(score)) {
    throw new StorageInputError("score must be a finite number");
  }
}

/** Checks `incr`'s amount and returns the new score, refusing one that overflows. */
export function incremented(current: number, by: number, set: string, key: string): number {
  checkIncrement(by);
  const score = current + by;
  if (!Number.isFinite(score)) {
    throw new StorageInputError(`incrementing ${set}/${key} would overflow`);
  }
  return score;
}

/** Checks `top`'s count (1–1000). */
export function checkTop(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOP) {
    throw new StorageInputError(`top(n) needs an integer n from 1 to ${MAX_TOP}`);
  }
}

/** The message when adding a key would exceed a limit, or null when it fits. */
export function overQuota(
  quota: SortedQuota,
  set: string,
  inSet: number,
  inGuild: number,
): string | null {
  if (inSet >= quota.maxKeysPerSet) {
    return `sorted set ${set} is full: it may hold at most ${quota.maxKeysPerSet} keys (delete some first)`;
  }
  if (inGuild >= quota.maxKeysPerGuild) {
    return `this guild's sorted sets are full: they may hold at most ${quota.maxKeysPerGuild} keys in total`;
  }
  return null;
}

/** A checked range: bounds, page size and where the previous page ended. */
export interface CheckedRange {
  min: number;
  max: number;
  limit: number;
  /** The last entry of the previous page: this page starts after it. */
  after?: SortedEntry;
}

/**
 * Checks range options and decodes the cursor.
 *
 * @example
 * ```ts
 * checkRange({ min: 10, limit: 5 }); // { min: 10, max: Infinity, limit: 5 }
 * ```
 */
export function checkRange(options: SortedRangeOptions = {}): CheckedRange {
  const bound = (value: number | undefined, name: string, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new StorageInputError(`${name} must be a number`);
    }
    return value;
  };
  const min = bound(options.min, "min", -Infinity);
  const max = bound(options.max, "max", Infinity);
  if (min > max) throw new StorageInputError(`min (${min}) is greater than max (${max})`);
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new StorageInputError("limit must be an integer from 1 to 1000");
  }
  const range: CheckedRange = { min, max, limit };
  if (options.cursor !== undefined) range.after = decodeCursor(options.cursor);
  return range;
}

/** The cursor of a page that ended at `last`. */
export function encodeCursor(last: SortedEntry): string {
  const bytes = new TextEncoder().encode(JSON.stringify([last.score, last.key]));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

function decodeCursor(cursor: string): SortedEntry {
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const [score, key] = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))),
    );
    if (typeof score === "number" && Number.isFinite(score) && typeof key === "string") {
      return { score, key };
    }
  } catch {
    // Reported below.
  }
  throw new StorageInputError("cursor is not one a previous range() page returned");
}
