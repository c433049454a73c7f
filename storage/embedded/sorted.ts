/**
 * GuildSortedStore on Deno KV.
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

import {
  checkRange,
  checkScore,
  checkSortedAddress,
  checkTop,
  DEFAULT_SORTED_QUOTA,
  encodeCursor,
  incremented,
  overQuota,
  type SortedQuota,
} from "../sorted_limits.ts";
import { checkGuildId, checkStoreName } from "../guild_kv_limits.ts";
import {
  type GuildSortedStore,
  type SortedEntry,
  type SortedPage,
  type SortedRangeOptions,
  StorageInputError,
} from "../types.ts";
import { WriteRateLimiter } from "../write_rate.ts";
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
export class KvGuildSortedStore implements GuildSortedStore {
  readonly #kv: Deno.Kv;
  readonly #quota: SortedQuota;
  readonly #writes = new KeyedQueue();
  readonly #writeRate: WriteRateLimiter;

  constructor(kv: Deno.Kv, quota: Partial<SortedQuota> = {}) {
    this.#kv = kv;
    this.#quota = { ...DEFAULT_SORTED_QUOTA, ...quota };
    this.#writeRate = new WriteRateLimiter(this.#quota.maxWritesPerMinute);
  }

  async incr(guildId: string, set: string, key: string, by: number): Promise<number> {
    checkSortedAddress(guildId, set, key);
    incremented(0, by, set, key);
    this.#writeRate.take(guildId);
    return await this.#write(
      guildId,
      set,
      key,
      (current) => incremented(current ?? 0, by, set, key),
    );
  }

  async set(guildId: string, set: string, key: string, score: number): Promise<void> {
    checkSortedAddress(guildId, set, key);
    checkScore(score);
    this.#writeRate.take(guildId);
    await this.#write(guildId, set, key, () => score);
  }

  async score(guildId: string, set: string, key: string): Promise<number | null> {
    checkSortedAddress(guildId, set, key);
    return (await this.#kv.get<number>(scoreKey(guildId, set, key))).value;
  }

  async delete(guildId: string, set: string, key: string): Promise<boolean> {
    checkSortedAddress(guildId, set, key);
    this.#writeRate.take(guildId);
    return await this.#writes.run(guildId, () =>
      retryAtomic("sorted delete", async () => {
        const [current, inSet, inGuild] = await this.#kv.getMany<[number, number, number]>([
          scoreKey(guildId, set, key),
          setCountKey(guildId, set),
          guildCountKey(guildId),
        ]);
        if (current.value === null) return done(false);
        const op = this.#kv.atomic().check(current, inSet, inGuild)
          .delete(scoreKey(guildId, set, key))
          .delete(orderKey(guildId, set, current.value, key));
        countDown(op, setCountKey(guildId, set), inSet.value);
        countDown(op, guildCountKey(guildId), inGuild.value);
        return (await op.commit()).ok ? done(true) : AGAIN;
      }));
  }

  async top(guildId: string, set: string, n: number): Promise<SortedEntry[]> {
    checkGuildId(guildId);
    checkStoreName(set);
    checkTop(n);
    const entries: SortedEntry[] = [];
    const iter = this.#kv.list({ prefix: orderPrefix(guildId, set) }, { limit: n });
    for await (const { key } of iter) entries.push(entryOf(key));
    return entries;
  }

  async rank(guildId: string, set: string, key: string): Promise<number | null> {
    const score = await this.score(guildId, set, key);
    if (score === null) return null;
    // Counting what sorts before it: sets are bounded (`maxKeysPerSet`), and only keys are read.
    let before = 0;
    const iter = this.#kv.list(
      { prefix: orderPrefix(guildId, set), end: orderKey(guildId, set, score, key) },
      { batchSize: 1000 },
    );
    for await (const _ of iter) before++;
    return before + 1;
  }

  async range(guildId: string, set: string, options?: SortedRangeOptions): Promise<SortedPage> {
    checkGuildId(guildId);
    checkStoreName(set);
    const range = checkRange(options);
    if (range.max === -Infinity || range.min === Infinity) return { entries: [] };
    const prefix = orderPrefix(guildId, set);
    const from = range.after ??
      (range.max === Infinity ? undefined : { score: range.max, key: "" });
    const selector: Deno.KvListSelector = from === undefined
      ? { prefix }
      : { prefix, start: orderKey(guildId, set, from.score, from.key) };
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

  /** Writes the score `decide` computes from the current one, atomically. */
  #write(
    g: string,
    s: string,
    k: string,
    decide: (current: number | null) => number,
  ): Promise<number> {
    return this.#writes.run(g, () =>
      retryAtomic("sorted write", async () => {
        const [current, inSet, inGuild] = await this.#kv.getMany<[number, number, number]>([
          scoreKey(g, s, k),
          setCountKey(g, s),
          guildCountKey(g),
        ]);
        const score = decide(current.value);
        const op = this.#kv.atomic().check(current, inSet, inGuild).set(scoreKey(g, s, k), score);
        if (current.value === null) {
          const full = overQuota(this.#quota, s, inSet.value ?? 0, inGuild.value ?? 0);
          if (full) throw new StorageInputError(full);
          op.set(setCountKey(g, s), (inSet.value ?? 0) + 1)
            .set(guildCountKey(g), (inGuild.value ?? 0) + 1);
        } else {
          op.delete(orderKey(g, s, current.value, k));
        }
        op.set(orderKey(g, s, score, k), true);
        return (await op.commit()).ok ? done(score) : AGAIN;
      }));
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
