/**
 * Sorted sets on Deno KV (checked by `CheckedSortedStore`).
 *
 * Layout (g = guild id, s = set, k = key):
 * - `["gsort", g, s, "k", k]` → score
 * - `["gsort", g, s, "o", -score, k]` → true: the order index. Deno KV orders
 *   numbers by value, so reading it forwards gives the highest score first,
 *   ties by key.
 * - `["gsortn", g, s]` → keys in the set; `["gsortn", g]` → keys in the guild
 *
 * A write changes the score, its index entry and (for a new key) both counts
 * in one atomic operation checked against what it read; writes of one guild
 * take turns in-process (they all check the guild's count).
 *
 * @module
 */

import { type CheckedRange, encodeCursor } from "../sorted_limits.ts";
import type { SortedBackend } from "../sorted_store.ts";
import type { SortedEntry, SortedPage } from "../types.ts";
import { KeyedQueue } from "./keyed_queue.ts";
import { AGAIN, done, retryAtomic } from "./retry.ts";

const scoreKey = (g: string, s: string, k: string): Deno.KvKey => ["gsort", g, s, "k", k];
const orderPrefix = (g: string, s: string): Deno.KvKey => ["gsort", g, s, "o"];
// -0 and 0 are one score; Deno KV would order them apart.
const orderKey = (g: string, s: string, score: number, k: string): Deno.KvKey => [
  ...orderPrefix(g, s),
  score === 0 ? 0 : -score,
  k,
];
const setCountKey = (g: string, s: string): Deno.KvKey => ["gsortn", g, s];
const guildCountKey = (g: string): Deno.KvKey => ["gsortn", g];

/** Sorted sets on a Deno KV database the caller opened (and closes). */
export class KvSortedBackend implements SortedBackend {
  readonly #kv: Deno.Kv;
  readonly #writes = new KeyedQueue();

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  write(
    g: string,
    s: string,
    k: string,
    decide: (current: number | null) => number,
    admit: (inSet: number, inGuild: number) => void,
  ): Promise<number> {
    return this.#writes.run(g, () =>
      retryAtomic("sorted write", async () => {
        const [current, inSet, inGuild] = await this.#counted(g, s, k);
        const score = decide(current.value);
        const op = this.#kv.atomic().check(current, inSet, inGuild).set(scoreKey(g, s, k), score);
        if (current.value === null) {
          admit(inSet.value ?? 0, inGuild.value ?? 0);
          op.set(setCountKey(g, s), (inSet.value ?? 0) + 1)
            .set(guildCountKey(g), (inGuild.value ?? 0) + 1);
        } else {
          op.delete(orderKey(g, s, current.value, k));
        }
        op.set(orderKey(g, s, score, k), true);
        return (await op.commit()).ok ? done(score) : AGAIN;
      }));
  }

  async score(g: string, s: string, k: string): Promise<number | null> {
    return (await this.#kv.get<number>(scoreKey(g, s, k))).value;
  }

  delete(g: string, s: string, k: string): Promise<boolean> {
    return this.#writes.run(g, () =>
      retryAtomic("sorted delete", async () => {
        const [current, inSet, inGuild] = await this.#counted(g, s, k);
        if (current.value === null) return done(false);
        const op = this.#kv.atomic().check(current, inSet, inGuild)
          .delete(scoreKey(g, s, k))
          .delete(orderKey(g, s, current.value, k));
        countDown(op, setCountKey(g, s), inSet.value);
        countDown(op, guildCountKey(g), inGuild.value);
        return (await op.commit()).ok ? done(true) : AGAIN;
      }));
  }

  async top(g: string, s: string, n: number): Promise<SortedEntry[]> {
    const entries: SortedEntry[] = [];
    for await (const { key } of this.#kv.list({ prefix: orderPrefix(g, s) }, { limit: n })) {
      entries.push(entryOf(key));
    }
    return entries;
  }

  async countBefore(g: string, s: string, k: string, score: number): Promise<number> {
    // Sets are bounded (`maxKeysPerSet`), and the index values are tiny.
    let before = 0;
    const selector = { prefix: orderPrefix(g, s), end: orderKey(g, s, score, k) };
    for await (const _ of this.#kv.list(selector, { batchSize: 1000 })) before++;
    return before;
  }

  async range(g: string, s: string, range: CheckedRange): Promise<SortedPage> {
    const prefix = orderPrefix(g, s);
    // "" sorts before every key, so the page starts at the first key with score `max`.
    const from = range.after ??
      (range.max === Infinity ? undefined : { score: range.max, key: "" });
    const selector: Deno.KvListSelector = from === undefined
      ? { prefix }
      : { prefix, start: orderKey(g, s, from.score, from.key) };
    const entries: SortedEntry[] = [];
    for await (const { key } of this.#kv.list(selector, { batchSize: range.limit + 2 })) {
      const entry = entryOf(key);
      if (entry.score < range.min) break;
      if (range.after && entry.score === range.after.score && entry.key === range.after.key) {
        continue;
      }
      if (entries.length === range.limit) return { entries, cursor: encodeCursor(entries.at(-1)!) };
      entries.push(entry);
    }
    return { entries };
  }

  #counted(g: string, s: string, k: string) {
    return this.#kv.getMany<[number, number, number]>([
      scoreKey(g, s, k),
      setCountKey(g, s),
      guildCountKey(g),
    ]);
  }
}

function entryOf(key: Deno.KvKey): SortedEntry {
  const negated = key[4] as number;
  return { key: key[5] as string, score: negated === 0 ? 0 : -negated };
}

function countDown(op: Deno.AtomicOperation, key: Deno.KvKey, count: number | null): void {
  const next = (count ?? 1) - 1;
  if (next > 0) op.set(key, next);
  else op.delete(key);
}
