/**
 * Field checks shared by the host's parsers of worker messages and operation
 * arguments. Each failure names the exact path of the bad input
 * (`args.headers[1][0]: expected a header name`).
 *
 * @module
 */

import { RESERVED_STORE_PREFIX } from "../operations.ts";
import type { JsonValue } from "../values.ts";

/** A validation failure: what was wrong, where. */
export class Invalid extends Error {}

/** Throws an {@linkcode Invalid} naming the bad input's path and what was expected. */
export function fail(path: string, what: string): never {
  throw new Invalid(`${path}: ${what}`);
}

/** A plain object (not null, not an array). */
export function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(path, "expected an object");
  }
  return value as Record<string, unknown>;
}

/** A string of `min`–`max` characters. */
export function str(value: unknown, path: string, min = 0, max = Infinity): string {
  if (typeof value !== "string") fail(path, "expected a string");
  if (value.length < min || value.length > max) fail(path, `length must be ${min}–${max}`);
  return value;
}

/** A Discord snowflake id: 1–20 decimal digits. */
export function snowflake(value: unknown, path: string): string {
  if (typeof value !== "string" || !/^\d{1,20}$/.test(value)) fail(path, "expected a snowflake id");
  return value;
}

/** A safe integer ≥ 0. */
export function int(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(path, "expected an integer ≥ 0");
  return value as number;
}

/** `check(value)`, or undefined when the value is absent. */
export function optional<T>(value: unknown, check: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

/** A script's store name (KV store or sorted set); the host's own prefix is refused. */
export function storeName(value: unknown): string {
  const name = str(value, "args.store", 1, 64);
  if (name.startsWith(RESERVED_STORE_PREFIX)) {
    fail("args.store", `store names starting with "${RESERVED_STORE_PREFIX}" are reserved`);
  }
  return name;
}

/** A JSON value, rebuilt: finite numbers only, bounded depth. */
export function json(value: unknown, path: string, depth = 0): JsonValue {
  if (depth > 32) fail(path, "nested too deeply");
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(path, "numbers must be finite");
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => json(v, `${path}[${i}]`, depth + 1));
  const o = record(value, path);
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(o)) out[k] = json(v, `${path}.${k}`, depth + 1);
  return out;
}
