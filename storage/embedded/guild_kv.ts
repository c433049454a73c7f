/**
 * GuildKvStore on Deno KV.
 *
 * Layout (g = guild id, s = store, k = key):
 * - `["gkv", g, s, k]` — record head (see guild_kv_record.ts); its versionstamp is the entry version
 * - `["gkvtail", g, s, k]` — record tail, only when a record exceeds one KV value
 * - `["gkvacct", g, s, k]` — `{ size, expiresAt? }`: what the entry counts against the quota.
 *   It never expires, so the quota stays exact when Deno KV drops an expired entry on its own.
 * - `["gkvttl", g, expiresAt, s, k]` — expiry index, so expired entries can be swept and uncounted
 * - `["gkvuse", g, "bytes"]`, `["gkvuse", g, "count", s]` — guild bytes and per-store entry counts
 *
 * Every write checks the guild's byte counter, so writes within one guild are
 * serialised: queued in-process, optimistic retry across processes; different
 * guilds never conflict.
 *
 * @module
 */

import {
  checkGuildId,
  checkPageLimit,
  checkPrefix,
  checkStoreName,
  type GuildKvQuota,
} from "../guild_kv_limits.ts";
import {
  checkAddress,
  type KeyChange,
  PlannedGuildKv,
  type PlannedWrite,
  writtenEntry,
} from "../guild_kv_plan.ts";
import {
  type GuildKvStore,
  type KvEntry,
  type KvListOptions,
  type KvPage,
  type KvRef,
  StorageInputError,
} from "../types.ts";
import {
  type Accounting,
  acctKey,
  bytesKey,
  countKey,
  entryKey,
  type EntryState,
  NO_TAIL,
  tailKey,
  toLive,
  ttlKey,
} from "./guild_kv_entry.ts";
import { encodeRecord, isComplete, splitRecord } from "./guild_kv_record.ts";
import { KeyedQueue } from "./keyed_queue.ts";
import { AGAIN, type Attempt, done, retryAtomic } from "./retry.ts";

const encoder = new TextEncoder();

/** Per-guild KV on a Deno KV database the caller opened (and closes). */
export class KvGuildKvStore extends PlannedGuildKv implements GuildKvStore {
  readonly #kv: Deno.Kv;
  /** Writes of one guild all check its byte counter, so they take turns in-process. */
  readonly #writes = new KeyedQueue();

  constructor(kv: Deno.Kv, quota: Partial<GuildKvQuota> = {}) {
    super(quota);
    this.#kv = kv;
  }

  async get(guildId: string, store: string, key: string): Promise<KvEntry | null> {
    checkAddress(guildId, store, key);
    return await retryAtomic("get", async () => {
      const [head, tail] = await this.#kv.getMany<[Uint8Array, Uint8Array]>([
        entryKey(guildId, store, key),
        tailKey(guildId, store, key),
      ]);
      const live = toLive(key, head, tail, Date.now());
      return live === undefined ? AGAIN : done(live);
    });
  }

  async delete(guildId: string, store: string, key: string): Promise<boolean> {
    this.takeWrite(guildId, store, key);
    return await this.#writes.run(guildId, () => this.#delete(guildId, store, key));
  }

  async #delete(guildId: string, store: string, key: string): Promise<boolean> {
    return await retryAtomic("delete", async () => {
      // The value itself is not needed, so a half-expired record cannot stall the delete.
      const state = await this.#read(guildId, store, key, true);
      if (state === null) return AGAIN;
      if (state.head.versionstamp === null && state.acct.value === null) return done(false);
      const result = await this.#removal(guildId, store, key, state).commit();
      return result.ok ? done(state.live !== null) : AGAIN;
    });
  }

  async list(guildId: string, store: string, options: KvListOptions = {}): Promise<KvPage> {
    checkGuildId(guildId);
    checkStoreName(store);
    const prefix = checkPrefix(options.prefix);
    const limit = checkPageLimit(options.limit);
    const base: Deno.KvKey = ["gkv", guildId, store];
    // The selector must be identical on every page for Deno KV's cursor to apply.
    const selector: Deno.KvListSelector = { prefix: base, start: [...base, prefix] };
    const iter = this.#kv.list<Uint8Array>(selector, {
      cursor: options.cursor,
      batchSize: Math.min(limit + 1, 500),
    });
    const entries: KvEntry[] = [];
    let cursor: string | undefined;
    const now = Date.now();
    try {
      for await (const raw of iter) {
        const key = raw.key[3];
        if (typeof key !== "string" || !key.startsWith(prefix)) break;
        if (cursor !== undefined) return { entries, cursor }; // one more exists
        const head = raw as Deno.KvEntryMaybe<Uint8Array>;
        let live = isComplete(raw.value)
          ? toLive(key, head, NO_TAIL, now)
          : await this.get(guildId, store, key);
        // A tail read may have raced a write; the entry's own get is consistent.
        if (live === undefined) live = await this.get(guildId, store, key);
        if (live !== null) entries.push(live);
        if (entries.length === limit) cursor = iter.cursor;
      }
    } catch (error) {
      if (error instanceof TypeError && /cursor/i.test(error.message)) {
        throw new StorageInputError("cursor is not valid for this store and prefix");
      }
      throw error;
    }
    return { entries };
  }

  async stores(guildId: string): Promise<string[]> {
    checkGuildId(guildId);
    await this.purgeExpired(guildId);
    const names: string[] = [];
    for await (const entry of this.#kv.list<number>({ prefix: ["gkvuse", guildId, "count"] })) {
      if (typeof entry.key[3] === "string" && entry.value > 0) names.push(entry.key[3]);
    }
    return names;
  }

  /** Bytes and entry counts the guild currently has charged against its quota. */
  async usage(guildId: string): Promise<{ bytes: number; entries: Record<string, number> }> {
    checkGuildId(guildId);
    const bytes = await this.#kv.get<number>(bytesKey(guildId));
    const entries: Record<string, number> = {};
    for await (const entry of this.#kv.list<number>({ prefix: ["gkvuse", guildId, "count"] })) {
      entries[String(entry.key[3])] = entry.value;
    }
    return { bytes: bytes.value ?? 0, entries };
  }

  /**
   * Removes the guild's expired entries and stops counting them against the
   * quota. Runs on its own when a write would exceed the quota and before
   * `stores()`; returns how many entries it removed.
   */
  async purgeExpired(guildId: string): Promise<number> {
    checkGuildId(guildId);
    let removed = 0;
    const end: Deno.KvKey = ["gkvttl", guildId, Date.now() + 0.5];
    for await (const due of this.#kv.list({ prefix: ["gkvttl", guildId], end })) {
      const [, , at, store, key] = due.key;
      if (typeof at !== "number" || typeof store !== "string" || typeof key !== "string") continue;
      if (await this.#removeExpired(guildId, store, key, at, due.key)) removed++;
    }
    return removed;
  }

  async #removeExpired(
    guildId: string,
    store: string,
    key: string,
    at: number,
    indexKey: Deno.KvKey,
  ): Promise<boolean> {
    return await retryAtomic("purge expired", async () => {
      const state = await this.#read(guildId, store, key, true);
      if (state === null) return AGAIN;
      if (state.acct.value?.expiresAt !== at) {
        // Stale index entry: the key was rewritten since.
        const result = await this.#kv.atomic().check(state.acct).delete(indexKey).commit();
        return result.ok ? done(false) : AGAIN;
      }
      const result = await this.#removal(guildId, store, key, state).commit();
      return result.ok ? done(true) : AGAIN;
    });
  }

  /** Reads an entry's state; null when the head and tail disagree (a write raced the read). */
  async #read(g: string, s: string, k: string, ignoreTail = false): Promise<EntryState | null> {
    const [head, tail, acct, bytes, count] = await this.#kv.getMany<
      [Uint8Array, Uint8Array, Accounting, number, number]
    >([entryKey(g, s, k), tailKey(g, s, k), acctKey(g, s, k), bytesKey(g), countKey(g, s)]);
    const live = toLive(k, head, ignoreTail ? NO_TAIL : tail, Date.now(), ignoreTail);
    if (live === undefined) return null;
    return { head, tail, acct, bytes, count, live };
  }

  /** An atomic operation deleting an entry and uncounting it, checked against `state`. */
  #removal(g: string, s: string, k: string, state: EntryState): Deno.AtomicOperation {
    const op = this.#check(state)
      .delete(entryKey(g, s, k))
      .delete(tailKey(g, s, k))
      .delete(acctKey(g, s, k));
    const acct = state.acct.value;
    if (acct !== null) {
      if (acct.expiresAt !== undefined) op.delete(ttlKey(g, acct.expiresAt, s, k));
      op.set(bytesKey(g), Math.max(0, (state.bytes.value ?? 0) - acct.size));
      const count = (state.count.value ?? 1) - 1;
      if (count > 0) op.set(countKey(g, s), count);
      else op.delete(countKey(g, s));
    }
    return op;
  }

  #check(state: EntryState): Deno.AtomicOperation {
    return this.#kv.atomic()
      .check(state.head)
      .check(state.tail)
      .check(state.acct)
      .check(state.bytes)
      .check(state.count);
  }

  /**
   * The shared write path of set, compareAndSet, increment and atomic:
   * `decide` sees the live entries and returns what to do with each, or null
   * to write nothing. One atomic commit, checked against everything read.
   */
  protected override async writeMany(
    g: string,
    refs: KvRef[],
    decide: (lives: (KvEntry | null)[]) => KeyChange[] | null,
  ): Promise<(KvEntry | null)[] | null> {
    return await this.#writes.run(g, () => this.#writeManyNow(g, refs, decide));
  }

  async #writeManyNow(
    g: string,
    refs: KvRef[],
    decide: (lives: (KvEntry | null)[]) => KeyChange[] | null,
  ): Promise<(KvEntry | null)[] | null> {
    let purged = false;
    return await retryAtomic("write", async (): Promise<Attempt<(KvEntry | null)[] | null>> => {
      const states: EntryState[] = [];
      for (const { store, key } of refs) {
        const state = await this.#read(g, store, key);
        if (state === null) return AGAIN;
        states.push(state);
      }
      const changes = decide(states.map((state) => state.live));
      if (changes === null) return done(null);

      // The guild's bytes and each store's count, as the first read of each saw them.
      const bytes = states[0].bytes;
      let used = bytes.value ?? 0;
      let grew = false;
      const counts = new Map<string, { entry: Deno.KvEntryMaybe<number>; value: number }>();
      refs.forEach(({ store }, i) => {
        if (!counts.has(store)) {
          counts.set(store, { entry: states[i].count, value: states[i].count.value ?? 0 });
        }
      });
      const op = this.#kv.atomic().check(bytes);
      for (const { entry } of counts.values()) op.check(entry);
      const now = Date.now();
      const planned: { ref: KvRef; plan: PlannedWrite }[] = [];
      refs.forEach((ref, i) => {
        const { store: s, key: k } = ref;
        const state = states[i];
        const change = changes[i];
        op.check(state.head).check(state.tail).check(state.acct);
        const previous = state.acct.value;
        const count = counts.get(s)!;
        if (change === "keep" || (change === "delete" && previous === null)) return;
        if (previous !== null) {
          used -= previous.size;
          if (previous.expiresAt !== undefined) op.delete(ttlKey(g, previous.expiresAt, s, k));
        }
        if (change === "delete") {
          count.value--;
          op.delete(entryKey(g, s, k)).delete(tailKey(g, s, k)).delete(acctKey(g, s, k));
          return;
        }
        const record = encodeRecord(change.valueBytes, change.metadataBytes, change.expiresAt);
        const size = encoder.encode(k).length + record.length;
        used += size;
        if (size > (previous?.size ?? 0)) grew = true;
        if (previous === null) count.value++;
        const expireIn = change.expiresAt === undefined
          ? undefined
          : { expireIn: Math.max(1, change.expiresAt - now) };
        const { head, tail } = splitRecord(record);
        op.set(entryKey(g, s, k), head, expireIn);
        if (tail) op.set(tailKey(g, s, k), tail, expireIn);
        else op.delete(tailKey(g, s, k));
        const acct: Accounting = change.expiresAt === undefined
          ? { size }
          : { size, expiresAt: change.expiresAt };
        op.set(acctKey(g, s, k), acct);
        if (change.expiresAt !== undefined) op.set(ttlKey(g, change.expiresAt, s, k), true);
        planned.push({ ref, plan: change });
      });
      const overBytes = grew && used > this.quota.maxGuildBytes;
      const full = [...counts].find(([, count]) =>
        count.value > this.quota.maxEntriesPerStore && count.value > (count.entry.value ?? 0)
      );
      if (overBytes || full) {
        if (!purged) {
          // Expired entries still count until swept; sweep once, then decide again.
          purged = true;
          await this.purgeExpired(g);
          return AGAIN;
        }
        throw this.quotaError(overBytes, used, full?.[0]);
      }
      op.set(bytesKey(g), Math.max(0, used));
      for (const [store, { value }] of counts) {
        if (value > 0) op.set(countKey(g, store), value);
        else op.delete(countKey(g, store));
      }
      const result = await op.commit();
      if (!result.ok) return AGAIN;
      const written = new Map(planned.map(({ ref, plan }) => [ref, plan]));
      return done(refs.map((ref) => {
        const plan = written.get(ref);
        return plan === undefined ? null : writtenEntry(ref.key, plan, result.versionstamp);
      }));
    });
  }
}
