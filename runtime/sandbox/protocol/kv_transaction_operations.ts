/**
 * The operations behind `kv.transact`: read several keys with their
 * versions, then write several keys only if none changed. Part of
 * `OperationArgsMap`; parsed by `parse/kv_transaction_args.ts`.
 *
 * @module
 */

import type { JsonValue } from "./values.ts";

/** A key of one of the guild's stores. */
export interface KvRefArgs {
  store: string;
  key: string;
}

/** A write of `kv.atomic`: a value to set, or `delete: true`. */
export type KvWriteArgs = (KvRefArgs & { value: JsonValue }) | (KvRefArgs & { delete: true });

export interface KvTransactionOperationArgsMap {
  /** Several entries at once (up to 10); result: `(KvEntry | null)[]` in the same order. */
  "kv.getMany": { refs: KvRefArgs[] };
  /**
   * Apply `writes` only if every checked key is still at its version (null:
   * absent); up to 10 distinct keys. Result: whether it was applied.
   */
  "kv.atomic": { checks: (KvRefArgs & { version: string | null })[]; writes: KvWriteArgs[] };
}

export const KV_TRANSACTION_OPERATION_NAMES = [
  "kv.getMany",
  "kv.atomic",
] as const satisfies readonly (keyof KvTransactionOperationArgsMap)[];

/** Most distinct keys one transaction may read or write. */
export const MAX_TRANSACTION_KEYS = 10;
