/**
 * GuildSortedStore on PostgreSQL: one row per key in `guild_sorted`, read in
 * order through the `(guild_id, set_name, score desc, key)` index. Keys
 * compare by code point (`collate "C"`), as on Deno KV. A write locks its
 * guild for the length of its transaction (an advisory lock), so the key
 * counts it checks cannot change under it on any host.
 *
 * @module
 */

import type postgres from "postgres";
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

/** Advisory lock class of sorted-set writes ("sort"); the guild is the second key. */
const LOCK_CLASS = 0x736f7274;

interface Row {
  key: string;
  score: number;
}

export class PgGuildSortedStore implements GuildSortedStore {
  readonly #sql: postgres.Sql;
  readonly #quota: SortedQuota;
  readonly #writeRate: WriteRateLimiter;

  constructor(sql: postgres.Sql, quota: Partial<SortedQuota> = {}) {
    this.#sql = sql;
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
    const [row] = await this.#sql<Row[]>`
      select score from guild_sorted
      where guild_id = ${guildId} and set_name = ${set} and key = ${key}`;
    return row === undefined ? null : row.score;
  }

  async delete(guildId: string, set: string, key: string): Promise<boolean> {
    checkSortedAddress(guildId, set, key);
    this.#writeRate.take(guildId);
    const rows = await this.#sql`
      delete from guild_sorted
      where guild_id = ${guildId} and set_name = ${set} and key = ${key} returning key`;
    return rows.length === 1;
  }

  async top(guildId: string, set: string, n: number): Promise<SortedEntry[]> {
    checkGuildId(guildId);
    checkStoreName(set);
    checkTop(n);
    return toEntries(
      await this.#sql<Row[]>`
        select key, score from guild_sorted where guild_id = ${guildId} and set_name = ${set}
        order by score desc, key limit ${n}`,
    );
  }

  async rank(guildId: string, set: string, key: string): Promise<number | null> {
    const score = await this.score(guildId, set, key);
    if (score === null) return null;
    const [row] = await this.#sql<{ before: string }[]>`
      select count(*) as before from guild_sorted
      where guild_id = ${guildId} and set_name = ${set}
        and (score > ${score} or (score = ${score} and key < ${key}))`;
    return Number(row.before) + 1;
  }

  async range(guildId: string, set: string, options?: SortedRangeOptions): Promise<SortedPage> {
    checkGuildId(guildId);
    checkStoreName(set);
    const range = checkRange(options);
    if (range.max === -Infinity || range.min === Infinity) return { entries: [] };
    const sql = this.#sql;
    const after = range.after;
    const rows = await sql<Row[]>`
      select key, score from guild_sorted
      where guild_id = ${guildId} and set_name = ${set}
        ${range.min === -Infinity ? sql`` : sql`and score >= ${range.min}`}
        ${range.max === Infinity ? sql`` : sql`and score <= ${range.max}`}
        ${
      after === undefined
        ? sql``
        : sql`and (score < ${after.score} or (score = ${after.score} and key > ${after.key}))`
    }
      order by score desc, key limit ${range.limit + 1}`;
    const entries = toEntries(rows.slice(0, range.limit));
    return rows.length > range.limit
      ? { entries, cursor: encodeCursor(entries.at(-1)!) }
      : { entries };
  }

  /** Writes the score `decide` computes from the current one, in one transaction. */
  async #write(
    guildId: string,
    set: string,
    key: string,
    decide: (current: number | null) => number,
  ): Promise<number> {
    return await this.#sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(${guildId}))`;
      const [row] = await tx<Row[]>`
        select score from guild_sorted
        where guild_id = ${guildId} and set_name = ${set} and key = ${key}`;
      const score = decide(row === undefined ? null : row.score);
      if (row !== undefined) {
        await tx`update guild_sorted set score = ${score}
                 where guild_id = ${guildId} and set_name = ${set} and key = ${key}`;
        return score;
      }
      const [counts] = await tx<{ in_set: string; in_guild: string }[]>`
        select count(*) filter (where set_name = ${set}) as in_set, count(*) as in_guild
        from guild_sorted where guild_id = ${guildId}`;
      const full = overQuota(this.#quota, set, Number(counts.in_set), Number(counts.in_guild));
      if (full) throw new StorageInputError(full);
      await tx`insert into guild_sorted (guild_id, set_name, key, score)
               values (${guildId}, ${set}, ${key}, ${score})`;
      return score;
    }) as number;
  }
}

function toEntries(rows: Row[]): SortedEntry[] {
  return rows.map((r) => ({ key: r.key, score: r.score }));
}
