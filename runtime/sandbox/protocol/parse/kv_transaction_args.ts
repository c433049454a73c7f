/**
 * Parsers of the `kv.getMany` and `kv.atomic` arguments
 * (`kv_transaction_operations.ts`).
 *
 * @module
 */

import {
  type KvRefArgs,
  type KvTransactionOperationArgsMap,
  type KvWriteArgs,
  MAX_TRANSACTION_KEYS,
} from "../kv_transaction_operations.ts";
import { fail, json, record, storeName, str } from "./fields.ts";

type Parsers = {
  [N in keyof KvTransactionOperationArgsMap]: (
    a: Record<string, unknown>,
  ) => KvTransactionOperationArgsMap[N];
};

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value) || value.length > MAX_TRANSACTION_KEYS) {
    fail(path, `expected a list of at most ${MAX_TRANSACTION_KEYS}`);
  }
  return value;
}

function ref(value: unknown, path: string): KvRefArgs & Record<string, unknown> {
  const r = record(value, path);
  // storeName reports "args.store"; name the item instead.
  try {
    storeName(r.store);
  } catch {
    fail(`${path}.store`, "expected a store name (not starting with the reserved prefix)");
  }
  return { ...r, store: r.store as string, key: str(r.key, `${path}.key`, 1, 512) };
}

export const kvTransactionParsers: Parsers = {
  "kv.getMany": (a) => ({
    refs: list(a.refs, "args.refs").map((r, i) => {
      const { store, key } = ref(r, `args.refs[${i}]`);
      return { store, key };
    }),
  }),
  "kv.atomic": (a) => ({
    checks: list(a.checks, "args.checks").map((c, i) => {
      const { store, key, version } = ref(c, `args.checks[${i}]`);
      return {
        store,
        key,
        version: version === null ? null : str(version, `args.checks[${i}].version`, 1, 64),
      };
    }),
    writes: list(a.writes, "args.writes").map((w, i): KvWriteArgs => {
      const { store, key, ...rest } = ref(w, `args.writes[${i}]`);
      if (rest.delete === true) return { store, key, delete: true };
      return { store, key, value: json(rest.value, `args.writes[${i}].value`) };
    }),
  }),
};
