/**
 * GuildKvStore on PostgreSQL, so guilds keep their KV when they move between
 * runtime nodes of a cluster (Deno KV's file is per machine).
 *
 * Tables (migration 5): `guild_kv` holds one row per entry, including expired
 * ones until they are swept; `guild_kv_usage` the bytes each guild has charged
 * against its quota; `guild_kv_stores` the entries per store. Every write
 * locks the guild's usage row first, so one guild's writes take turns across
 * processes (and queue in-process, so a busy guild holds one pooled
 * connection, not all of them); different guilds never wait for each other.
 * Versions come from one sequence, so a version is never reused.
 *
 * A cluster's bus event writes under a journal step (`storage/effect_journal.ts`): the
 * step's row goes into `guild_effects` in the write's own transaction, so a handler run again
 * after its node died gets the recorded result instead of writing twice.
 *
 * Expiry is judged by this process's clock (`Date.now()`), like the embedded
 * store; nodes of a cluster should run NTP.
 *
 * @module
 */

import type postgres from "postgres";
import { KeyedQueue } from "../embedded/keyed_queue.ts";
import { checkGuildId, checkListArgs, type GuildKvQuota } from "../guild_kv_limits.ts";
import { checkAddress, type KeyChange, PlannedGuildKv, writtenEntry } from "../guild_kv_plan.ts";
import {
  type GuildKvStore,
  type KvEntry,
  type KvListOptions,
  type KvPage,
  type KvRef,
  StorageInputError,
} from "../types.ts";
import { base64url } from "../tokens_common.ts";
import { type EffectStep, kvWriteStep } from "../effect_journal.ts";
import { type EffectFence, effectFence } from "../../shared/effect_fence.ts";
import { insertStep, recordedStep } from "./effect_journal.ts";

/** Thrown inside a write's transaction to roll it back: its journal step was recorded already. */
class StepTaken extends Error {}

/** A `guild_kv` row as read (bigint columns arrive as strings). */
interface Row {
  key: string;
  value: string;
  metadata: string | null;
  expires_at: string | null;
  version: string;
  size: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CURSOR = /^c1\.([A-Za-z0-9_-]*)$/;

/** Per-guild KV in the PostgreSQL database `sql` points at (migrated by `openPostgresStorage`). */
export class PgGuildKvStore extends PlannedGuildKv implements GuildKvStore {
  readonly #sql: postgres.Sql;
  readonly #writes = new KeyedQueue();

  constructor(sql: postgres.Sql, quota: Partial<GuildKvQuota> = {}) {
    super(quota);
    this.#sql = sql;
  }

  async get(guildId: string, store: string, key: string): Promise<KvEntry | null> {
    checkAddress(guildId, store, key);
    const [row] = await this.#sql<Row[]>`
      select key, value, metadata, expires_at, version, size from guild_kv
      where guild_id = ${guildId} and store = ${store} and key = ${key}
        and (expires_at is null or expires_at > ${Date.now()})`;
    return row === undefined ? null : toEntry(row);
  }

  async delete(guildId: string, store: string, key: string): Promise<boolean> {
    this.takeWrite(guildId, store, key);
    return await this.#inGuild(guildId, async (tx) => {
      const [gone] = await tx<{ size: number; expires_at: string | null }[]>`
        delete from guild_kv where guild_id = ${guildId} and store = ${store} and key = ${key}
        returning size, expires_at`;
      if (gone === undefined) return false;
      await uncount(tx, guildId, [{ store, entries: 1, bytes: gone.size }]);
      return gone.expires_at === null || Number(gone.expires_at) > Date.now();
    });
  }

  async list(guildId: string, store: string, options: KvListOptions = {}): Promise<KvPage> {
    const { prefix, limit } = checkListArgs(guildId, store, options);
    const after = options.cursor === undefined ? undefined : parseCursor(options.cursor, prefix);
    // The lower bound lets the primary key index find the first row; starts_with does the rest.
    const from = after ?? prefix;
    const rows = await this.#sql<Row[]>`
      select key, value, metadata, expires_at, version, size from guild_kv
      where guild_id = ${guildId} and store = ${store}
        and ${after === undefined ? this.#sql`key >= ${from}` : this.#sql`key > ${from}`}
        and starts_with(key, ${prefix})
        and (expires_at is null or expires_at > ${Date.now()})
      order by key limit ${limit + 1}`;
    const entries = rows.slice(0, limit).map(toEntry);
    return rows.length > limit
      ? { entries, cursor: makeCursor(entries[entries.length - 1].key) }
      : { entries };
  }

  async stores(guildId: string): Promise<string[]> {
    checkGuildId(guildId);
    await this.purgeExpired(guildId);
    const rows = await this.#sql<{ store: string }[]>`
      select store from guild_kv_stores where guild_id = ${guildId} and entries > 0
      order by store`;
    return rows.map((r) => r.store);
  }

  /** Bytes and entry counts the guild currently has charged against its quota. */
  async usage(guildId: string): Promise<{ bytes: number; entries: Record<string, number> }> {
    checkGuildId(guildId);
    const [usage] = await this.#sql<{ bytes: string }[]>`
      select bytes from guild_kv_usage where guild_id = ${guildId}`;
    const stores = await this.#sql<{ store: string; entries: number }[]>`
      select store, entries from guild_kv_stores where guild_id = ${guildId}`;
    return {
      bytes: Number(usage?.bytes ?? 0),
      entries: Object.fromEntries(stores.map((r) => [r.store, r.entries])),
    };
  }

  /**
   * Removes the guild's expired entries and stops counting them against the
   * quota. Runs on its own when a write would exceed the quota and before
   * `stores()`; returns how many entries it removed.
   */
  async purgeExpired(guildId: string): Promise<number> {
    checkGuildId(guildId);
    return await this.#inGuild(guildId, (tx) => purge(tx, guildId));
  }

  /**
   * Runs `task` in a transaction holding the guild's usage row lock, after the guild's queue.
   * Under a bus event's journal step (`kvWriteStep`, set by the host around one KV write) the
   * step is recorded in the same transaction, or, recorded before, returned without writing.
   */
  #inGuild<T>(guildId: string, task: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
    const journaled = kvWriteStep.getStore();
    const fence = effectFence.getStore();
    // A write's step belongs to its first transaction only.
    const at = journaled?.outcome === undefined && journaled?.step.guildId === guildId
      ? journaled
      : undefined;
    if (at?.replay !== undefined) {
      at.outcome = "replayed";
      return Promise.resolve(at.replay.result as T);
    }
    if (at) at.outcome = "recorded";
    return this.#writes.run(guildId, async () => {
      if (at === undefined) return await this.#transact(guildId, task, undefined, fence);
      try {
        return await this.#transact(guildId, task, at.step, fence);
      } catch (error) {
        if (!(error instanceof StepTaken)) throw error;
      }
      // Another run of the event recorded this step first (its write is in; this one rolled back).
      const earlier = await recordedStep(this.#sql, at.step);
      if (earlier?.hash === at.step.hash) {
        at.outcome = "replayed";
        return earlier.result as T;
      }
      at.outcome = "diverged";
      return await this.#transact(guildId, task, undefined, fence);
    });
  }

  async #transact<T>(
    guildId: string,
    task: (tx: postgres.TransactionSql) => Promise<T>,
    step?: EffectStep,
    fence?: EffectFence,
  ): Promise<T> {
    const result = await this.#sql.begin(async (tx) => {
      // The upsert takes the row lock even when the row exists: one writer per guild.
      await tx`insert into guild_kv_usage (guild_id, bytes) values (${guildId}, 0)
               on conflict (guild_id) do update set bytes = guild_kv_usage.bytes`;
      const value = await task(tx);
      if (step && !(await insertStep(tx, step, value))) throw new StepTaken();
      // A bus event's write commits only if this node still holds the event's partition now,
      // its rows already locked: a pause that began before here rolls it back on waking; one
      // after it holds the locks (and the journal step's key) until the commit, so the next
      // owner's run of the same step waits for it and finds the step recorded.
      fence?.check();
      return { value };
    });
    return result.value;
  }

  /**
   * The shared write path of set, compareAndSet, increment and atomic:
   * `decide` sees the live entries and returns what to do with each, or null
   * to write nothing. One transaction, under the guild's lock.
   */
  protected override writeMany(
    g: string,
    refs: KvRef[],
    decide: (lives: (KvEntry | null)[]) => KeyChange[] | null,
  ): Promise<(KvEntry | null)[] | null> {
    return this.#inGuild(g, async (tx) => {
      for (let purged = false;; purged = true) {
        const rows: (Row | undefined)[] = [];
        for (const { store, key } of refs) {
          const [row] = await tx<Row[]>`
            select key, value, metadata, expires_at, version, size from guild_kv
            where guild_id = ${g} and store = ${store} and key = ${key}`;
          rows.push(row);
        }
        const now = Date.now();
        const changes = decide(rows.map((row) => row && isLive(row, now) ? toEntry(row) : null));
        if (changes === null) return null;

        const [usage] = await tx<{ bytes: string }[]>`
          select bytes from guild_kv_usage where guild_id = ${g}`;
        let used = Number(usage.bytes);
        let grew = false;
        const added = new Map<string, number>();
        refs.forEach(({ store, key }, i) => {
          const change = changes[i];
          const row = rows[i];
          if (change === "keep" || (change === "delete" && row === undefined)) return;
          used -= row?.size ?? 0;
          if (change === "delete") {
            added.set(store, (added.get(store) ?? 0) - 1);
            return;
          }
          const size = encoder.encode(key).length + change.valueBytes.length +
            (change.metadataBytes?.length ?? 0);
          used += size;
          if (size > (row?.size ?? 0)) grew = true;
          if (row === undefined) added.set(store, (added.get(store) ?? 0) + 1);
        });
        let full: string | undefined;
        for (const [store, more] of added) {
          if (more <= 0) continue;
          const [count] = await tx<{ entries: number }[]>`
            select entries from guild_kv_stores where guild_id = ${g} and store = ${store}`;
          if ((count?.entries ?? 0) + more > this.quota.maxEntriesPerStore) full = store;
        }
        const overBytes = grew && used > this.quota.maxGuildBytes;
        if (overBytes || full !== undefined) {
          // Expired entries still count until swept; sweep once, then decide again.
          if (!purged && await purge(tx, g) > 0) continue;
          throw this.quotaError(overBytes, used, full);
        }

        const written: (KvEntry | null)[] = [];
        for (const [i, { store, key }] of refs.entries()) {
          const change = changes[i];
          if (change === "keep" || change === "delete") {
            if (change === "delete" && rows[i] !== undefined) {
              await tx`delete from guild_kv
                       where guild_id = ${g} and store = ${store} and key = ${key}`;
            }
            written.push(null);
            continue;
          }
          const size = encoder.encode(key).length + change.valueBytes.length +
            (change.metadataBytes?.length ?? 0);
          const value = decoder.decode(change.valueBytes);
          const metadata = change.metadataBytes ? decoder.decode(change.metadataBytes) : null;
          const [row] = await tx<{ version: string }[]>`
            insert into guild_kv (guild_id, store, key, value, metadata, expires_at, version, size)
            values (${g}, ${store}, ${key}, ${value}, ${metadata}, ${change.expiresAt ?? null},
                    nextval('guild_kv_versions'), ${size})
            on conflict (guild_id, store, key) do update set
              value = excluded.value, metadata = excluded.metadata,
              expires_at = excluded.expires_at, version = excluded.version, size = excluded.size
            returning version`;
          written.push(writtenEntry(key, change, row.version));
        }
        await tx`update guild_kv_usage set bytes = ${Math.max(0, used)} where guild_id = ${g}`;
        for (const [store, more] of added) {
          if (more === 0) continue;
          await tx`insert into guild_kv_stores (guild_id, store, entries)
                   values (${g}, ${store}, ${more})
                   on conflict (guild_id, store)
                   do update set entries = guild_kv_stores.entries + ${more}`;
        }
        await tx`delete from guild_kv_stores where guild_id = ${g} and entries <= 0`;
        return written;
      }
    });
  }
}

/** Deletes the guild's expired rows and uncounts them; the caller holds the guild's lock. */
async function purge(tx: postgres.TransactionSql, guildId: string): Promise<number> {
  const gone = await tx<{ store: string; entries: number; bytes: string }[]>`
    with gone as (
      delete from guild_kv where guild_id = ${guildId} and expires_at <= ${Date.now()}
      returning store, size
    )
    select store, count(*)::integer as entries, sum(size)::bigint as bytes
    from gone group by store`;
  await uncount(tx, guildId, gone.map((r) => ({ ...r, bytes: Number(r.bytes) })));
  return gone.reduce((sum, r) => sum + r.entries, 0);
}

/** Subtracts removed entries from the guild's usage and store counts. */
async function uncount(
  tx: postgres.TransactionSql,
  guildId: string,
  removed: { store: string; entries: number; bytes: number }[],
): Promise<void> {
  if (removed.length === 0) return;
  const bytes = removed.reduce((sum, r) => sum + r.bytes, 0);
  await tx`update guild_kv_usage set bytes = greatest(0, bytes - ${bytes})
           where guild_id = ${guildId}`;
  for (const { store, entries } of removed) {
    await tx`update guild_kv_stores set entries = entries - ${entries}
             where guild_id = ${guildId} and store = ${store}`;
  }
  await tx`delete from guild_kv_stores where guild_id = ${guildId} and entries <= 0`;
}

function isLive(row: Row, now: number): boolean {
  return row.expires_at === null || Number(row.expires_at) > now;
}

function toEntry(row: Row): KvEntry {
  return {
    key: row.key,
    value: JSON.parse(row.value),
    ...(row.metadata === null ? {} : { metadata: JSON.parse(row.metadata) }),
    ...(row.expires_at === null ? {} : { expiresAt: Number(row.expires_at) }),
    version: row.version,
  };
}

/** A cursor is the last key of the page, base64url-encoded, behind a format tag. */
function makeCursor(lastKey: string): string {
  return `c1.${base64url(encoder.encode(lastKey))}`;
}

function parseCursor(cursor: string, prefix: string): string {
  const match = typeof cursor === "string" ? CURSOR.exec(cursor) : null;
  let key: string | undefined;
  try {
    if (match !== null) {
      const bytes = Uint8Array.fromBase64(match[1], { alphabet: "base64url" });
      key = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    }
  } catch {
    key = undefined;
  }
  if (key === undefined || !key.startsWith(prefix)) {
    throw new StorageInputError("cursor is not valid for this store and prefix");
  }
  return key;
}
