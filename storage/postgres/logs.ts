/**
 * LogStore on PostgreSQL, so a guild's log follows it between the runtime
 * nodes of a cluster. Like the embedded store, a true ring buffer per guild:
 * `guild_log_seq` holds the next sequence number and record n lives in slot
 * n mod capacity of `guild_logs`. An append is one statement: the counter's
 * upsert locks the guild's row (appends of one guild take turns, across
 * nodes) and the slot is overwritten in place.
 *
 * @module
 */

import type postgres from "postgres";
import { CheckedLogStore, logId, type LogOptions } from "../logs_common.ts";
import type { LogLevel, LogRecord, NewLogRecord } from "../types.ts";

interface Row {
  seq: string;
  level: LogLevel;
  message: string;
  deployment_id: string | null;
  at: string;
}

/** Per-guild log rings in the PostgreSQL database `sql` points at (migration 8). */
export class PgLogStore extends CheckedLogStore {
  readonly #sql: postgres.Sql;

  constructor(sql: postgres.Sql, options: Partial<LogOptions> = {}) {
    super(options);
    this.#sql = sql;
  }

  protected async appendChecked(guildId: string, checked: NewLogRecord): Promise<LogRecord> {
    const at = new Date().toISOString();
    const [row] = await this.#sql<Row[]>`
      with counter as (
        insert into guild_log_seq (guild_id, next) values (${guildId}, 1)
        on conflict (guild_id) do update set next = guild_log_seq.next + 1
        returning next - 1 as seq
      )
      insert into guild_logs (guild_id, slot, seq, level, message, deployment_id, at)
      select ${guildId}, seq % ${this.options.capacity}, seq, ${checked.level},
             ${checked.message}, ${checked.deploymentId ?? null}, ${at}
      from counter
      on conflict (guild_id, slot) do update set
        seq = excluded.seq, level = excluded.level, message = excluded.message,
        deployment_id = excluded.deployment_id, at = excluded.at
      returning seq, level, message, deployment_id, at`;
    return toRecord(guildId, row);
  }

  protected async readRecent(guildId: string, count: number): Promise<LogRecord[]> {
    const rows = await this.#sql<Row[]>`
      select seq, level, message, deployment_id, at from guild_logs
      where guild_id = ${guildId} order by seq desc limit ${count}`;
    return rows.reverse().map((row) => toRecord(guildId, row));
  }

  protected async readSince(guildId: string, after: number, count: number): Promise<LogRecord[]> {
    // Only the ring's current records are stored, so overwritten ones are skipped by themselves.
    const rows = await this.#sql<Row[]>`
      select seq, level, message, deployment_id, at from guild_logs
      where guild_id = ${guildId} and seq > ${after} order by seq limit ${count}`;
    return rows.map((row) => toRecord(guildId, row));
  }
}

function toRecord(guildId: string, row: Row): LogRecord {
  return {
    id: logId(Number(row.seq)),
    guildId,
    level: row.level,
    message: row.message,
    ...(row.deployment_id === null ? {} : { deploymentId: row.deployment_id }),
    at: row.at,
  };
}
