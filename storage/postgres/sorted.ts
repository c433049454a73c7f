/**
 * Sorted sets on PostgreSQL (checked by `CheckedSortedStore`): one row per
 * key in `guild_sorted`, read in order through the
 * `(guild_id, set_name, score desc, key)` index. Keys compare by code point
 * (`collate "C"`), as on Deno KV. A write locks its guild for the length of
 * its transaction (an advisory lock), so the key counts it checks cannot
 * change under it on any host.
 *
 * @module
 */

import type postgres from "postgres";
import { type CheckedRange, encodeCursor } from "../sorted_limits.ts";
import type { SortedBackend } from "../sorted_store.ts";
import type { SortedEntry, SortedPage } from "../types.ts";

/** Advisory lock class of sorted-set writes ("sort"); the guild is the second key. */
const LOCK_CLASS = 0x736f7274;

interface Row {
  key: string;
  score: number;
}

export class PgSortedBackend implements SortedBackend {
  readonly #sql: postgres.Sql;

  constructor(sql: postgres.Sql) {
    this.#sql = sql;
  }

  async write(
    guildId: string,
    set: string,
    key: string,
    decide: (current: number | null) => number,
    admit: (inSet: number, inGuild: number) => void,
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
      admit(Number(counts.in_set), Number(counts.in_guild));
      await tx`insert into guild_sorted (guild_id, set_name, key, score)
               values (${guildId}, ${set}, ${key}, ${score})`;
      return score;
    }) as number;
  }

  async score(guildId: string, set: string, key: string): Promise<number | null> {
    const [row] = await this.#sql<Row[]>`
      select score from guild_sorted
      where guild_id = ${guildId} and set_name = ${set} and key = ${key}`;
    return row === undefined ? null : row.score;
  }

  async delete(guildId: string, set: string, key: string): Promise<boolean> {
    const rows = await this.#sql`
      delete from guild_sorted
      where guild_id = ${guildId} and set_name = ${set} and key = ${key} returning key`;
    return rows.length === 1;
  }

  async top(guildId: string, set: string, n: number): Promise<SortedEntry[]> {
    return toEntries(
      await this.#sql<Row[]>`
        select key, score from guild_sorted where guild_id = ${guildId} and set_name = ${set}
        order by score desc, key limit ${n}`,
    );
  }

  async countBefore(guildId: string, set: string, key: string, score: number): Promise<number> {
    const [row] = await this.#sql<{ before: string }[]>`
      select count(*) as before from guild_sorted
      where guild_id = ${guildId} and set_name = ${set}
        and (score > ${score} or (score = ${score} and key < ${key}))`;
    return Number(row.before);
  }

  async range(guildId: string, set: string, range: CheckedRange): Promise<SortedPage> {
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
}

function toEntries(rows: Row[]): SortedEntry[] {
  return rows.map((r) => ({ key: r.key, score: r.score }));
}
