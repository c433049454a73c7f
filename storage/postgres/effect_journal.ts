/**
 * The effect journal on PostgreSQL (`guild_effects`, migration 9): one row
 * per recorded step. A KV write records its step in its own transaction
 * ({@linkcode insertStep}, from `guild_kv.ts`); the primary key decides
 * between two runs of one event that reach the same step at once (a paused
 * node woken while the next owner runs the event again): the second insert
 * finds the row and its transaction is rolled back.
 *
 * Rows go a while after their event is marked handled (`forget`, in
 * batches), and whatever is left (a node died before forgetting) after a
 * retention period (`prune`).
 *
 * @module
 */

import type postgres from "postgres";
import {
  decodeResult,
  type EffectJournal,
  type EffectStep,
  encodeResult,
  type EventRef,
  type RecordedEffect,
  type StepResult,
} from "../effect_journal.ts";

/** The journal in the database `sql` points at (migrated by `openPostgresStorage`). */
export class PgEffectJournal implements EffectJournal {
  constructor(readonly sql: postgres.Sql) {}

  async recorded(guildId: string, eventId: string): Promise<Map<number, RecordedEffect>> {
    const rows = await this.sql<{ idx: number; op_hash: string; result: string }[]>`
      select idx, op_hash, result from guild_effects
      where guild_id = ${guildId} and event_id = ${eventId}`;
    return new Map(rows.map((r) => [r.idx, { hash: r.op_hash, result: decodeResult(r.result) }]));
  }

  async record(steps: StepResult[]): Promise<number> {
    if (steps.length === 0) return 0;
    const now = Date.now();
    const inserted = await this.sql`
      insert into guild_effects (guild_id, event_id, idx, op_hash, result, recorded_at)
      select *, ${now}::bigint from unnest(
        ${steps.map((s) => s.step.guildId)}::text[], ${steps.map((s) => s.step.eventId)}::text[],
        ${steps.map((s) => s.step.index)}::integer[], ${steps.map((s) => s.step.hash)}::text[],
        ${steps.map((s) => encodeResult(s.result))}::text[])
      on conflict (guild_id, event_id, idx) do nothing`;
    return inserted.count;
  }

  async forget(events: EventRef[]): Promise<number> {
    if (events.length === 0) return 0;
    // One statement for a batch: a delete per event cost a round trip each.
    const gone = await this.sql`
      delete from guild_effects where (guild_id, event_id) in (
        select * from unnest(${events.map((e) => e.guildId)}::text[],
                             ${events.map((e) => e.eventId)}::text[]))`;
    return gone.count;
  }

  async prune(before: number): Promise<number> {
    const gone = await this.sql`delete from guild_effects where recorded_at < ${before}`;
    return gone.count;
  }
}

/** Inserts a step's row (in `sql`'s transaction, if it is one); false when its index was taken. */
export async function insertStep(
  sql: postgres.Sql | postgres.TransactionSql,
  step: EffectStep,
  result: unknown,
): Promise<boolean> {
  const inserted = await sql`
    insert into guild_effects (guild_id, event_id, idx, op_hash, result, recorded_at)
    values (${step.guildId}, ${step.eventId}, ${step.index}, ${step.hash},
            ${encodeResult(result)}, ${Date.now()})
    on conflict (guild_id, event_id, idx) do nothing`;
  return inserted.count === 1;
}

/** The step recorded at `step`'s index, if any. */
export async function recordedStep(
  sql: postgres.Sql,
  step: EffectStep,
): Promise<RecordedEffect | undefined> {
  const [row] = await sql<{ op_hash: string; result: string }[]>`
    select op_hash, result from guild_effects
    where guild_id = ${step.guildId} and event_id = ${step.eventId} and idx = ${step.index}`;
  return row === undefined ? undefined : { hash: row.op_hash, result: decodeResult(row.result) };
}
