/**
 * `kv.transact`: an atomic read-check-write over up to 10 keys of the
 * guild's stores. It reads the keys, lets `update` decide, and writes only
 * if none of them changed meanwhile; otherwise it reads again and calls
 * `update` again (so `update` should only compute, not act).
 *
 * @example
 * ```ts
 * const after = await kv.transact([["bank", "alice"], ["bank", "bob"]], ([alice = 0, bob = 0]) =>
 *   alice >= 10 ? [alice - 10, bob + 10] : null // null: give up, write nothing
 * );
 * ```
 *
 * @module
 */

import { call } from "./bridge.ts";
import type { JsonValue, KvEntry } from "./types.ts";

/** Put in `update`'s result to delete that key. */
export const DELETE: unique symbol = Symbol("kv.DELETE");

/** A key of one of the guild's stores: `[store, key]`. */
export type KvKeyRef = readonly [store: string, key: string];

/** What `update` says for one key: a new value, `kv.DELETE`, or `undefined` (leave it). */
export type KvTransactChange<T extends JsonValue> = T | typeof DELETE | undefined;

/** How many times `transact` reads again after a conflicting write before it gives up. */
const MAX_ATTEMPTS = 20;

/**
 * Reads `refs` (values, `undefined` when absent), calls `update`, and writes
 * what it returns, all or nothing, if none of the keys changed meanwhile.
 * Resolves to the keys' values after the write, or null when `update`
 * returned null (nothing written).
 */
export async function transact<T extends JsonValue = JsonValue>(
  refs: readonly KvKeyRef[],
  update: (
    values: (T | undefined)[],
  ) => KvTransactChange<T>[] | null | Promise<KvTransactChange<T>[] | null>,
): Promise<(T | undefined)[] | null> {
  if (!Array.isArray(refs) || refs.length === 0 || refs.length > 10) {
    throw new TypeError("kv.transact needs 1 to 10 [store, key] pairs");
  }
  const keys = refs.map((ref, i) => {
    if (!Array.isArray(ref) || ref.length !== 2) {
      throw new TypeError(`kv.transact: refs[${i}] must be a [store, key] pair`);
    }
    return { store: String(ref[0]), key: String(ref[1]) };
  });
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const entries = await call("kv.getMany", { refs: keys }) as (KvEntry<T> | null)[];
    const values = entries.map((entry) => entry?.value);
    const changes = await update([...values]);
    if (changes === null) return null;
    if (!Array.isArray(changes) || changes.length !== keys.length) {
      throw new TypeError(
        `kv.transact: update must return null or one change per key (${keys.length}), e.g. [newValue, undefined, kv.DELETE]`,
      );
    }
    const writes: ({ store: string; key: string } & ({ delete: true } | { value: T }))[] = [];
    changes.forEach((change, i) => {
      if (change === DELETE) writes.push({ ...keys[i], delete: true });
      else if (change !== undefined) writes.push({ ...keys[i], value: change });
    });
    const checks = keys.map((ref, i) => ({ ...ref, version: entries[i]?.version ?? null }));
    if (await call("kv.atomic", { checks, writes }) as boolean) {
      return changes.map((change, i) =>
        change === DELETE ? undefined : change === undefined ? values[i] : change
      );
    }
  }
  throw new Error(
    `kv.transact gave up after ${MAX_ATTEMPTS} attempts: other writes kept changing these keys`,
  );
}
