/**
 * Parsers of the sorted-set operations' arguments (`sorted_operations.ts`).
 *
 * @module
 */

import type { SortedOperationArgsMap } from "../sorted_operations.ts";
import { fail, int, optional, storeName, str } from "./fields.ts";

type Parsers = {
  [N in keyof SortedOperationArgsMap]: (a: Record<string, unknown>) => SortedOperationArgsMap[N];
};

function finite(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(path, "expected a finite number");
  return value;
}

/** A range bound: any number but NaN (±Infinity means no bound). */
function bound(value: unknown, path: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) fail(path, "expected a number");
  return value;
}

const address = (a: Record<string, unknown>) => ({
  store: storeName(a.store),
  key: str(a.key, "args.key", 1, 512),
});

export const sortedParsers: Parsers = {
  "sorted.incr": (a) => ({ ...address(a), by: finite(a.by, "args.by") }),
  "sorted.set": (a) => ({ ...address(a), score: finite(a.score, "args.score") }),
  "sorted.score": address,
  "sorted.delete": address,
  "sorted.rank": address,
  "sorted.top": (a) => ({ store: storeName(a.store), n: int(a.n, "args.n") }),
  "sorted.range": (a) => ({
    store: storeName(a.store),
    min: optional(a.min, (v) => bound(v, "args.min")),
    max: optional(a.max, (v) => bound(v, "args.max")),
    limit: optional(a.limit, (v) => int(v, "args.limit")),
    cursor: optional(a.cursor, (v) => str(v, "args.cursor", 1, 2048)),
  }),
};
