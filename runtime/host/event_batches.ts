/**
 * The per-event path to and from a worker: batch sizes, sending a batch
 * (numbered, counted against its process), and what a finished event records.
 * Plain functions: the manager calls them on every event.
 *
 * @module
 */

import type { SandboxPool } from "../sandbox/pool.ts";
import {
  type EventMessage,
  eventPayload,
  type EventsDoneMessage,
  framesOf,
  MAX_BATCH,
  PROTOCOL_VERSION,
  startedAtOf,
} from "../sandbox/protocol/mod.ts";
import { type QueuedEvent, settle } from "./guild_queue.ts";
import type { GuildWorker } from "./guild_worker.ts";
import type { FloraMetrics } from "./metrics.ts";
import type { SchedulingOptions } from "./scheduling_options.ts";

/**
 * Largest batch: the guild's in-flight cap, within what a worker may report at once.
 *
 * @example
 * ```ts
 * batchMax({ maxInflightPerGuild: 8 } as SchedulingOptions); // 8 (or MAX_BATCH if smaller)
 * ```
 */
export function batchMax(options: SchedulingOptions): number {
  return Math.max(1, Math.min(options.maxInflightPerGuild, MAX_BATCH));
}

/**
 * Room a waiting guild is woken for: a largest batch, or the whole process cap if smaller.
 *
 * @example
 * ```ts
 * fullBatch({ maxInflightPerGuild: 8, maxInflightPerProcess: 4 } as SchedulingOptions); // 4
 * ```
 */
export function fullBatch(options: SchedulingOptions): number {
  return Math.min(batchMax(options), options.maxInflightPerProcess);
}

/**
 * Numbers a batch, records it in flight on the worker and its process, and sends it.
 *
 * @example
 * ```ts
 * sendBatch(pool, worker, guild.queue.takeBatch(8), load);
 * ```
 */
export function sendBatch(
  pool: SandboxPool,
  worker: GuildWorker,
  batch: QueuedEvent[],
  load: { inflight: number },
): void {
  // Events that came in gateway frames go as those frames' text, raw after the line.
  const frames = framesOf(batch);
  const events = batch.map((event): EventMessage => {
    const id = worker.nextEventId++;
    worker.inflight.set(id, event);
    if (frames) return { id, name: event.name };
    // A batch mixing framed and unframed events (rare) goes as values; the queue may have kept
    // only a framed event's frame.
    const frame = event.frame?.text();
    const payload = frame === undefined
      ? event.payload
      : eventPayload({ id, name: event.name, frame });
    return { id, name: event.name, payload };
  });
  load.inflight += events.length;
  worker.sentAt = performance.now();
  pool.send(worker.key, { v: PROTOCOL_VERSION, type: "events", events }, frames ?? undefined);
}

/**
 * Folds the start delay of a worker's batch (its sending to its first
 * handler's start, which the worker reports in wall-clock time) into its
 * process's figure, once per batch.
 *
 * @example
 * ```ts
 * observeStartDelay(worker, load.startDelay, message.events[0].startedAt);
 * ```
 */
export function observeStartDelay(
  worker: GuildWorker,
  delay: { observe(ms: number, now: number): void },
  startedAt: number | undefined,
): void {
  if (worker.sentAt === 0 || startedAt === undefined) return;
  const now = performance.now();
  delay.observe(startedAt - (performance.timeOrigin + worker.sentAt), now);
  worker.sentAt = 0;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Records how long a finished event waited before its handler started
 * (events the host made up, `receivedAt` 0, are not counted).
 *
 * @example
 * ```ts
 * observeDispatch(metrics, event, message.events[0].startedAt);
 * ```
 */
export function observeDispatch(
  metrics: FloraMetrics,
  event: QueuedEvent,
  startedAt: number | undefined,
): void {
  if (event.receivedAt <= 0) return;
  // The worker reports when the handler started; fall back to when it ended.
  const received = performance.timeOrigin + event.receivedAt;
  const start = startedAt !== undefined && startedAt >= received ? startedAt : preciseNow();
  metrics.dispatchLatency.observe((start - received) / 1000);
}

/**
 * The interaction id in an `interactionCreate` payload, if it has one.
 *
 * @example
 * ```ts
 * interactionId({ id: "123" }); // "123"
 * ```
 */
export function interactionId(payload: unknown): string | undefined {
  const id = (payload as { id?: unknown })?.id;
  return typeof id === "string" ? id : undefined;
}

/** What finishing an event tells besides the worker and its process's count. */
export interface FinishSinks {
  metrics: FloraMetrics;
  /** Forgets that the process handed the event over (`guard/redelivery.ts`). */
  started: { finish(worker: object, id: number): void };
  /** Told each interaction a handler finished (`interaction_acks.ts`). */
  acks: { handled(interactionId: string): void };
}

/**
 * Settles the events of a worker's report that are still in flight (ids it no longer has,
 * e.g. after a restart, are skipped): each leaves the worker and its process's count, and its
 * dispatch time is recorded. Returns how many finished.
 *
 * @example
 * ```ts
 * if (finishEvents(worker, report, load, sinks) > 0) pump(guild);
 * ```
 */
export function finishEvents(
  worker: GuildWorker,
  report: EventsDoneMessage,
  load: { inflight: number },
  sinks: FinishSinks,
): number {
  let finished = 0;
  const ids = report.ids;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const event = worker.inflight.get(id);
    if (!event) continue;
    finished++;
    worker.inflight.delete(id);
    settle(event);
    sinks.started.finish(worker, id);
    load.inflight--;
    observeDispatch(sinks.metrics, event, startedAtOf(report, i));
    if (event.name === "interactionCreate") {
      const interaction = interactionId(event.payload);
      if (interaction !== undefined) sinks.acks.handled(interaction);
    }
  }
  return finished;
}
