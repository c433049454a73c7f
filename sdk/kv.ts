/**
 * `kv(name)`: the guild's named key-value stores, kept by the host. Values
 * are JSON; limits (key, value and store size) are enforced by the host and
 * reported as errors saying what to change.
 *
 * @example
 * ```ts
 * const tags = kv("tags");
 * await tags.set("hello", { text: "Hi there!" });
 * const uses = await tags.increment("uses:hello");
 * ```
 *
 * @module
 */

import { call } from "./bridge.ts";
import { DELETE, transact } from "./kv_transaction.ts";
import type { JsonValue, KvEntry, KvPage, KvStore } from "./types.ts";

/** Throws a TypeError saying what to change when `name` is not a valid store name. */
export function checkStoreName(name: string, what: string): void {
  if (typeof name !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new TypeError(
      `${what} name ${
        JSON.stringify(name)
      } is invalid: use 1-64 characters from A-Z, a-z, 0-9, "_", "." and "-"`,
    );
  }
}

/**
 * Returns the guild's store called `name` (default "default"); stores need no
 * creation. `kv.transact` writes several keys of any stores atomically.
 */
export const kv: ((name?: string) => KvStore) & {
  transact: typeof transact;
  DELETE: typeof DELETE;
} = Object.assign(store, { transact, DELETE: DELETE as typeof DELETE });

function store(name = "default"): KvStore {
  checkStoreName(name, "kv store");
  const store = name;
  return Object.freeze(
    {
      name,
      async get<T extends JsonValue>(key: string) {
        const entry = await call("kv.get", { store, key }) as KvEntry<T> | null;
        return entry?.value;
      },
      async getEntry<T extends JsonValue>(key: string) {
        return await call("kv.get", { store, key }) as KvEntry<T> | null;
      },
      async set(key, value, options) {
        return await call("kv.set", { store, key, value, ...options }) as KvEntry;
      },
      async delete(key) {
        return await call("kv.delete", { store, key }) as boolean;
      },
      async list(options = {}) {
        return await call("kv.list", { store, ...options }) as KvPage;
      },
      async compareAndSet(key, expectedVersion, value, options) {
        return await call("kv.compareAndSet", {
          store,
          key,
          expectedVersion,
          value,
          ...options,
        }) as KvEntry | null;
      },
      async increment(key, by = 1) {
        return await call("kv.increment", { store, key, by }) as number;
      },
    } satisfies KvStore,
  );
}
