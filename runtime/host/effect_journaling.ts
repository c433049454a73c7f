/**
 * Exactly-once side effects for a cluster's bus events. When a runtime node
 * dies after a handler started and before its event was marked handled, the
 * partition's next owner runs the handler again; here each mutating call of
 * that re-run is matched against the effect journal (`storage/effect_journal.ts`)
 * by its index among the run's mutating calls and a hash of the operation and
 * its arguments: a match returns the recorded result instead of doing it again.
 *
 * - **KV writes** (with the guild KV on PostgreSQL) record their step in their
 *   own transaction: exactly once, even across a death between the write and
 *   anything after it.
 * - **Other mutating calls** (Discord REST, sorted sets, tasks) record their
 *   result once they succeeded: a death between the success and the record
 *   (one database insert) still repeats that one call, except a message sent,
 *   which carries an enforced nonce made of its step ({@linkcode withStepNonce}).
 * - **Divergence:** once a re-run asks for another operation (or other
 *   arguments) at an index than was recorded there, it has left the first
 *   run's path: that call and every later one of the run execute normally,
 *   with no replay and no record.
 * - Reads are neither journaled nor counted. Calls of a single process
 *   (`FLORA_ROLE=all`) and calls not attributed to a bus event (timers after
 *   the handler ended, cron, tasks) take the ordinary path.
 *
 * @module
 */

import type {
  EffectJournal,
  EffectStep,
  EventRef,
  RecordedEffect,
  StepResult,
} from "../../storage/effect_journal.ts";
import { type KvWriteStep, kvWriteStep } from "../../storage/effect_journal.ts";
import { OPERATION_NAMES, type OperationName } from "../sandbox/protocol/mod.ts";

/** KV writes: journaled in their own transaction when the store can. */
const KV_WRITES: ReadonlySet<OperationName> = new Set<OperationName>([
  "kv.set",
  "kv.delete",
  "kv.compareAndSet",
  "kv.increment",
  "kv.atomic",
]);

/**
 * Operations that change nothing outside the handler: reads, and the CPU burst (host
 * bookkeeping). An allowlist, so an operation added to the protocol is journaled and fenced
 * until someone decides it only reads. `fetch` is decided per call (its method).
 */
export const READ_ONLY_OPERATIONS: ReadonlySet<OperationName> = new Set<OperationName>([
  "message.get",
  "message.list",
  "member.get",
  "member.list",
  "role.list",
  "channel.get",
  "channel.list",
  "kv.get",
  "kv.list",
  "kv.getMany",
  "sorted.score",
  "sorted.top",
  "sorted.rank",
  "sorted.range",
  "tasks.get",
  "tasks.list",
  "cpu.burst",
]);

/** Every operation that changes something: all but the read-only ones and `fetch`. */
export const MUTATING_OPERATIONS: ReadonlySet<OperationName> = new Set<OperationName>(
  OPERATION_NAMES.filter((op) => op !== "fetch" && !READ_ONLY_OPERATIONS.has(op)),
);

/** Events whose journal rows this node may have to forget once marked. @default 50_000 */
const TOUCHED_CAPACITY = 50_000;

/** Most records in one statement. @default 500 */
const RECORD_BATCH = 500;

/** Marked events waiting to be forgotten, at most (beyond: left to pruning). @default 200_000 */
const MARKED_CAPACITY = 200_000;

/** What a run whose event cannot have run before finds recorded. */
const NOTHING_RECORDED: ReadonlyMap<number, RecordedEffect> = new Map();

/** One run, on this node, of a bus event's handler: its position among its mutating calls. */
export class EffectRun {
  #next = 0;
  /** Set once the run left the recorded path: nothing more is replayed or recorded. */
  diverged = false;
  #recorded?: Promise<ReadonlyMap<number, RecordedEffect>>;

  /**
   * @param mayHaveRun whether any node may have run the event before (a redelivery, or an event
   * a previous owner of its partition was given): only then is the journal read.
   */
  constructor(
    readonly guildId: string,
    readonly eventId: string,
    readonly mayHaveRun: boolean,
  ) {}

  /** The index of the run's next mutating call. */
  take(): number {
    return this.#next++;
  }

  /** What earlier runs recorded (read once per run, and only when one may have run). */
  recorded(journal: EffectJournal): Promise<ReadonlyMap<number, RecordedEffect>> {
    this.#recorded ??= this.mayHaveRun
      ? journal.recorded(this.guildId, this.eventId)
      : Promise.resolve(NOTHING_RECORDED);
    return this.#recorded;
  }
}

/**
 * A 53-bit hash of an operation and its arguments, as hex: a step's
 * identity, to tell a re-run's call from another at the same index.
 */
export function operationHash(op: OperationName, args: unknown): string {
  return `${op}:${hash53(`${op}\n${JSON.stringify(args ?? null)}`).toString(16)}`;
}

/** cyrb53: a fast 53-bit string hash (not cryptographic; steps are compared per event). */
function hash53(text: string): number {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * A message a bus event's handler sends (not a reply: replies have their
 * nonces, `operations/reply_nonces.ts`) is sent with an enforced nonce made
 * of its step, so a re-run that got no record of it (its node died between
 * Discord's answer and the record) gets the message already created from
 * Discord instead of a second one. At most 25 characters, as Discord allows.
 */
export function withStepNonce(args: unknown, run: EventRef, index: number): unknown {
  const { data } = args as { data: Record<string, unknown> };
  if (data.nonce !== undefined || data.message_reference !== undefined) return args;
  const nonce = `e${hash53(`${run.guildId}\n${run.eventId}\n${index}`).toString(36)}`;
  return { ...(args as object), data: { ...data, nonce, enforce_nonce: true } };
}

export interface EffectJournalingOptions {
  /** KV writes record their steps in their own transactions (the guild KV is PostgreSQL). */
  kvJoins: boolean;
  /** Told when a step could not be recorded or forgotten (the call's result stands). */
  onError?(error: unknown): void;
  /** Told how each journaled call went (metrics count them). */
  onStep?(outcome: "recorded" | "replayed" | "diverged"): void;
  /** Told of each non-KV call answered from the journal (reply nonces count it as sent). */
  onReplay?(op: OperationName, args: unknown): void;
  /**
   * How long an event's rows are kept after its mark, ms: a node paused past its lease and
   * woken meanwhile may still be running the handler, and its KV writes find the rows.
   * @default 60_000
   */
  forgetAfterMs?: number;
  /**
   * How long rows are kept at all, ms (those of events never marked here, e.g. the node
   * died): longer than the handled marks' 10 minutes, after which a redelivered event would
   * run again anyway.
   * @default 3_600_000
   */
  retentionMs?: number;
}

/**
 * Runs bus events' mutating calls through the journal.
 *
 * @example
 * ```ts
 * const journaling = new EffectJournaling(journal, { kvJoins: true });
 * const run = new EffectRun("1", "session:42", false);
 * await journaling.run(run, "kv.increment", args, (a) => operations.execute("1", "kv.increment", a));
 * journaling.marked("1", "session:42"); // the event was marked handled: its rows go in a minute
 * ```
 */
export class EffectJournaling {
  /** Events with journal rows from runs on this node (`guildId \n eventId`), oldest first. */
  readonly #touched = new Set<string>();
  /** Marked events whose rows go at `at` + `forgetAfterMs`, oldest first. */
  #marked: (EventRef & { at: number })[] = [];
  /** Records of non-KV calls waiting for the statement in flight. */
  #pending: StepResult[] = [];
  /** The statements writing them, one at a time; undefined when none is waiting. */
  #recording?: Promise<void>;
  readonly forgetAfterMs: number;
  readonly retentionMs: number;

  constructor(readonly journal: EffectJournal, readonly options: EffectJournalingOptions) {
    this.forgetAfterMs = options.forgetAfterMs ?? 60_000;
    this.retentionMs = options.retentionMs ?? EFFECT_RETENTION_MS;
    if (!(this.forgetAfterMs >= 0) || !(this.retentionMs > this.forgetAfterMs)) {
      throw new RangeError(
        `retentionMs (${this.retentionMs}) must exceed forgetAfterMs (${this.forgetAfterMs}) ≥ 0`,
      );
    }
  }

  /**
   * Runs one call of `run`: replayed from the journal, or executed (and recorded if it mutates).
   * A run whose event cannot have run before awaits nothing ahead of the call and hashes it only
   * once it succeeded (only its record needs the hash; operations do not change their arguments):
   * a reply leaves with no journal work in front of it.
   */
  async run(
    run: EffectRun,
    op: OperationName,
    args: unknown,
    execute: (args: unknown) => Promise<unknown>,
  ): Promise<unknown> {
    if (!MUTATING_OPERATIONS.has(op) || run.diverged) return await execute(args);
    const index = run.take();
    const joins = this.options.kvJoins && KV_WRITES.has(op);
    if (!run.mayHaveRun && !joins) {
      const sent = execute(op === "message.send" ? withStepNonce(args, run, index) : args);
      // After the call left, before it can settle (nor the handler end and the event be marked).
      this.#touch(run);
      const result = await sent;
      this.#record(run, index, operationHash(op, args), result);
      return result;
    }
    const hash = operationHash(op, args);
    const earlier = run.mayHaveRun ? (await run.recorded(this.journal)).get(index) : undefined;
    if (earlier !== undefined && earlier.hash !== hash) {
      run.diverged = true;
      this.options.onStep?.("diverged");
      return await execute(args);
    }
    this.#touch(run);
    const step: EffectStep = { guildId: run.guildId, eventId: run.eventId, index, hash };
    if (joins) {
      const at: KvWriteStep = { step, ...(earlier ? { replay: earlier } : {}) };
      const result = await kvWriteStep.run(at, () => execute(args));
      if (at.outcome === "diverged") run.diverged = true;
      if (at.outcome) this.options.onStep?.(at.outcome);
      return result;
    }
    if (earlier !== undefined) {
      this.options.onReplay?.(op, args);
      this.options.onStep?.("replayed");
      return earlier.result;
    }
    const result = await execute(op === "message.send" ? withStepNonce(args, run, index) : args);
    this.#record(run, index, hash, result);
    return result;
  }

  /**
   * Queues a non-KV call's record. Not waited for: the script gets its answer a database round
   * trip sooner, and the window (applied, not yet recorded) is no wider, as it opened when
   * Discord applied the call. false: a run elsewhere (a paused node woken) recorded it first;
   * both did it.
   */
  #record(run: EffectRun, index: number, hash: string, result: unknown): void {
    this.#pending.push({
      step: { guildId: run.guildId, eventId: run.eventId, index, hash },
      result,
    });
    this.#recording ??= this.#recordPending();
  }

  /** The event was marked handled (it runs no more): its rows, if runs here made any, go later. */
  marked(guildId: string, eventId: string, now = Date.now()): void {
    if (!this.#touched.delete(`${guildId}\n${eventId}`)) return;
    this.#marked.push({ guildId, eventId, at: now });
    if (this.#marked.length > MARKED_CAPACITY) this.#marked.shift();
  }

  /** Resolves once every record begun so far has landed (or failed). */
  async recorded(): Promise<void> {
    while (this.#recording) await this.#recording;
  }

  /**
   * Writes the waiting records, one statement at a time: those that come while one is in
   * flight go together in the next (a statement per call cost 68–98 µs of this process's CPU).
   */
  async #recordPending(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, RECORD_BATCH);
      try {
        const recorded = await this.journal.record(batch);
        for (let i = 0; i < recorded; i++) this.options.onStep?.("recorded");
      } catch (error) {
        this.options.onError?.(error);
      }
    }
    this.#recording = undefined;
  }

  /** Forgets, in one statement, the rows of events marked `forgetAfterMs` before `now`. */
  async flush(now = Date.now()): Promise<void> {
    const due = this.#marked.findIndex((e) => e.at > now - this.forgetAfterMs);
    const batch = this.#marked.splice(0, due === -1 ? this.#marked.length : due);
    if (batch.length > 0) await this.journal.forget(batch);
  }

  /**
   * Forgets marked events' rows every `everyMs` and prunes rows past `retentionMs` every
   * `pruneEveryMs`; returns the stop function.
   */
  start(everyMs = 1_000, pruneEveryMs = 5 * 60_000): () => void {
    const report = (error: unknown) => this.options.onError?.(error);
    const forgetting = setInterval(() => this.flush().catch(report), everyMs);
    const pruning = setInterval(
      () => this.journal.prune(Date.now() - this.retentionMs).catch(report),
      pruneEveryMs,
    );
    return () => {
      clearInterval(forgetting);
      clearInterval(pruning);
    };
  }

  #touch(run: EffectRun): void {
    const key = `${run.guildId}\n${run.eventId}`;
    if (this.#touched.has(key)) return;
    this.#touched.add(key);
    // Left over (an event never marked here): its rows are pruned by age instead.
    if (this.#touched.size > TOUCHED_CAPACITY) {
      this.#touched.delete(this.#touched.values().next().value!);
    }
  }
}

/** How long journal rows are kept at all, ms. @default 1 hour */
export const EFFECT_RETENTION_MS = 60 * 60_000;
