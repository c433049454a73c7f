/**
 * Sorted sets (and the scheduled task shape they share with the protocol).
 *
 * Part of the SDK's public types; `../types.ts` re-exports them all.
 *
 * @module
 */

import type { SortedEntry, SortedPage } from "../../runtime/sandbox/protocol/sorted_operations.ts";
import type { TaskInfo } from "../../runtime/sandbox/protocol/task_operations.ts";

/** A scheduled task: its id, name, key, payload, when it was due and which delivery this is. */
export type { TaskInfo };

/** A key with its score, and a page of `range` (pass `cursor` to the next `range`). */
export type { SortedEntry, SortedPage };

/** Options of `range`. */
export interface SortedRangeOptions {
  /** Lowest score included (default: no bound). */
  min?: number;
  /** Highest score included (default: no bound). */
  max?: number;
  /** Page size, 1–1000 (default 100). */
  limit?: number;
  /** From the previous page. */
  cursor?: string;
}

/**
 * A named sorted set of this guild (`sorted("xp")`): numeric scores by key,
 * read highest first (ties: by key). Every write is atomic.
 */
export interface SortedStore {
  readonly name: string;
  /** Adds `by` (default 1) to the key's score; an absent key counts as 0. Resolves to the new score. */
  incr(key: string, by?: number): Promise<number>;
  /** Sets the key's score. */
  set(key: string, score: number): Promise<void>;
  /** The key's score, or null when absent. */
  score(key: string): Promise<number | null>;
  /** True when the key was there. */
  delete(key: string): Promise<boolean>;
  /** The `n` (1–1000) highest-scored keys, highest first. */
  top(n: number): Promise<SortedEntry[]>;
  /** The key's position from the top (1 = highest score), or null when absent. */
  rank(key: string): Promise<number | null>;
  /** Keys with `min ≤ score ≤ max`, highest first, a page at a time. */
  range(options?: SortedRangeOptions): Promise<SortedPage>;
}
