/**
 * The sorted-set operations (`sorted("xp")` in a script): argument and
 * result shapes. Part of `OperationArgsMap`; parsed by `parse/sorted_args.ts`.
 *
 * @module
 */

/** Sorted-set operations with their argument shapes; `store` names the set. */
export interface SortedOperationArgsMap {
  /** Add `by` to the key's score (absent: 0); result: the new score. */
  "sorted.incr": { store: string; key: string; by: number };
  /** Set the key's score. */
  "sorted.set": { store: string; key: string; score: number };
  /** The key's score; result: a number or null. */
  "sorted.score": { store: string; key: string };
  /** Remove the key; result: whether it was there. */
  "sorted.delete": { store: string; key: string };
  /** The `n` highest-scored keys; result: `SortedEntry[]`. */
  "sorted.top": { store: string; n: number };
  /** The key's 1-based position from the top; result: a number or null. */
  "sorted.rank": { store: string; key: string };
  /** Keys with `min ≤ score ≤ max`, highest first; result: `SortedPage`. */
  "sorted.range": { store: string; min?: number; max?: number; limit?: number; cursor?: string };
}

/** One key of a sorted set with its score. */
export interface SortedEntry {
  key: string;
  score: number;
}

/** A page of a sorted set, highest score first; `cursor` when more follow. */
export interface SortedPage {
  entries: SortedEntry[];
  cursor?: string;
}

export const SORTED_OPERATION_NAMES = [
  "sorted.incr",
  "sorted.set",
  "sorted.score",
  "sorted.delete",
  "sorted.top",
  "sorted.rank",
  "sorted.range",
] as const satisfies readonly (keyof SortedOperationArgsMap)[];
