/**
 * Value types shared by the protocol, storage and the SDK: what a KV store
 * holds and the levels a log line has. Their one home; nothing here imports.
 *
 * @module
 */

/** Log levels a script can write at. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

/** A JSON value (what KV stores hold). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };
