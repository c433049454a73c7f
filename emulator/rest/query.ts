/**
 * Query-string parameters as Discord checks them: a bad `limit` or a
 * non-snowflake `before`/`after` is 400 50035, never a crash.
 *
 * @module
 */

import { invalidField } from "../errors.ts";
import { isSnowflake } from "../snowflake.ts";

/**
 * `?limit=` between 1 and `max` (`fallback` when absent), else Discord's 50035.
 *
 * @example
 * ```ts
 * const limit = limitParam(new URLSearchParams("limit=20"), 100); // 20
 * ```
 */
export function limitParam(query: URLSearchParams, max: number, fallback = 50): number {
  const raw = query.get("limit");
  const limit = raw === null ? fallback : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw invalidField(["limit"], "NUMBER_TYPE_MAX", `int value should be between 1 and ${max}.`);
  }
  return limit;
}

/**
 * A snowflake query parameter (null when absent), else Discord's 50035.
 *
 * @example
 * ```ts
 * const after = snowflakeParam(new URLSearchParams("after=123"), "after"); // "123"
 * ```
 */
export function snowflakeParam(query: URLSearchParams, key: string): string | null {
  const value = query.get(key);
  if (value !== null && !isSnowflake(value)) {
    throw invalidField([key], "NUMBER_TYPE_COERCE", `Value "${value}" is not snowflake.`);
  }
  return value;
}
