/**
 * KV: a guild's named key-value stores.
 *
 * Part of the SDK's public types; `../types.ts` re-exports them all.
 *
 * @module
 */

import type { JsonValue } from "../../runtime/sandbox/protocol/values.ts";

/** A JSON value, as KV stores hold (defined once, where it crosses the sandbox boundary). */
export type { JsonValue };

/** One stored entry. */
export interface KvEntry<T extends JsonValue = JsonValue> {
  key: string;
  value: T;
  metadata?: JsonValue;
  /** Epoch ms when it expires, if set with a TTL. */
  expiresAt?: number;
  /** Pass to `compareAndSet`. */
  version: string;
}

/** Options of `set` and `compareAndSet`. */
export interface KvSetOptions {
  /** Time to live, ms. */
  ttlMs?: number;
  metadata?: JsonValue;
}

/** One page of `list`. */
export interface KvPage {
  entries: KvEntry[];
  /** Present when more entries follow: pass it to the next `list`. */
  cursor?: string;
}

/** A named key-value store of this guild (`kv("tags")`). */
export interface KvStore {
  readonly name: string;
  /** The value, or undefined when absent (or expired). */
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined>;
  /** The entry with its version and metadata, or null. */
  getEntry<T extends JsonValue = JsonValue>(key: string): Promise<KvEntry<T> | null>;
  set(key: string, value: JsonValue, options?: KvSetOptions): Promise<KvEntry>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<KvPage>;
  /**
   * Sets only if the entry is still at `expectedVersion` (null: only if absent);
   * resolves to the new entry, or null when someone else changed it first.
   */
  compareAndSet(
    key: string,
    expectedVersion: string | null,
    value: JsonValue,
    options?: KvSetOptions,
  ): Promise<KvEntry | null>;
  /** Adds `by` (default 1) atomically; an absent key counts as 0. */
  increment(key: string, by?: number): Promise<number>;
}
