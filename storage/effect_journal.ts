/**
 * The effect journal: what a cluster's bus event did, step by step, so that
 * running its handler again (its node died before the event was marked
 * handled) repeats none of it. A step is one mutating call of the handler,
 * keyed by (guild id, the event's stable id, the call's index among the
 * run's mutating calls) and carrying a hash of the operation and its
 * arguments; a re-run whose call at an index has the same hash gets the
 * recorded result instead of doing it again (`runtime/host/effect_journaling.ts`).
 *
 * A KV write joins its step in the same transaction ({@linkcode kvWriteStep}),
 * so the write and its record happen together or not at all. Other effects
 * (Discord REST) are recorded once they succeeded.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";

/** One mutating call of a bus event's handler run. */
export interface EffectStep {
  guildId: string;
  /** The bus event's stable id (`session_id:seq`). */
  eventId: string;
  /** Position among the run's mutating calls, from 0. */
  index: number;
  /** Hash of the operation's name and arguments. */
  hash: string;
}

/** A bus event of a guild. */
export interface EventRef {
  guildId: string;
  eventId: string;
}

/** A step with what its call resolved to. */
export interface StepResult {
  step: EffectStep;
  result: unknown;
}

/** A step an earlier run recorded. */
export interface RecordedEffect {
  hash: string;
  /** What the call resolved to (for a KV write: what its transaction returned). */
  result: unknown;
}

/** Where steps are recorded (shared by every runtime node). */
export interface EffectJournal {
  /** The steps recorded for the event, by index. */
  recorded(guildId: string, eventId: string): Promise<Map<number, RecordedEffect>>;
  /**
   * Records steps' results, in one statement; a step whose index was recorded already is
   * skipped. Resolves to how many were recorded.
   */
  record(steps: StepResult[]): Promise<number>;
  /** Forgets these events' steps (they were marked handled); resolves to how many rows went. */
  forget(events: EventRef[]): Promise<number>;
  /** Forgets steps recorded before `before` (ms since the epoch); resolves to how many. */
  prune(before: number): Promise<number>;
}

/**
 * A KV write's step, set around the write by the host: a store that can join
 * it to the write's transaction does so and says how it went in `outcome`.
 */
export interface KvWriteStep {
  step: EffectStep;
  /** Set when an earlier run recorded this step: the store returns it without writing. */
  replay?: RecordedEffect;
  /**
   * Set by the store: `recorded` (written with the write), `replayed` (recorded before, by
   * `replay` or by a run that got there first), `diverged` (another operation was recorded at
   * this index: written without a record).
   */
  outcome?: "recorded" | "replayed" | "diverged";
}

/** The KV write step in force (stores that journal their writes read it). */
export const kvWriteStep = new AsyncLocalStorage<KvWriteStep>();

/** A result as journal text (`undefined` survives the trip). */
export function encodeResult(result: unknown): string {
  return JSON.stringify({ v: result });
}

/** The result {@linkcode encodeResult} encoded. */
export function decodeResult(text: string): unknown {
  return (JSON.parse(text) as { v?: unknown }).v;
}
