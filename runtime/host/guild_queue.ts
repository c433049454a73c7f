/**
 * A guild's bounded backlog of events waiting for its worker. Chatty events
 * (messages, typing, presence) may be dropped once the backlog is full;
 * interactions and lifecycle events are never dropped, because each of them
 * owes somebody an answer.
 *
 * @module
 */

import type { EffectRun } from "./effect_journaling.ts";
import type { RawJson, RawJsonStore } from "../sandbox/raw_json.ts";
import { batchLength, isDroppable, type ScriptEventName } from "../sandbox/protocol/mod.ts";

// The list lives in the protocol: the sandbox process batches the same events.
export { DROPPABLE_EVENTS, isDroppable } from "../sandbox/protocol/mod.ts";

/** One event waiting for delivery. */
export interface QueuedEvent {
  name: ScriptEventName;
  /**
   * The event's data; undefined when `frame` carries it (only interactions keep both: the
   * host answers them). A queue under load holds thousands of events: their parsed objects,
   * kept, outlived the young generation and cost the host's GC more than the parse itself.
   */
  payload: unknown;
  /**
   * The gateway frame's JSON text `payload` was parsed from, if known, as bytes kept outside
   * the JS heap (`raw_json.ts`): sent to the worker as is.
   */
  frame?: RawJson;
  /** `performance.now()` when the host received it (for dispatch latency). */
  receivedAt: number;
  /**
   * Called once the event is handled, or will never be (dropped, or lost with
   * its worker); not called for events left unfinished at shutdown.
   */
  settled?: () => void;
  /** Set for an event another node can run instead (a cluster's bus event). */
  handover?: Handover;
  /**
   * A cluster's event that came from no bus (a cron or task run): the partition tenure it
   * fired under, which fences its calls. Never given back, not journaled.
   */
  tenure?: EffectTenure;
  /** A bus event's journaled calls on this node (`effect_journaling.ts`), from its first one. */
  effects?: EffectRun;
}

/**
 * An event as it waits in a guild's queue, received now (positional: called for every event).
 * Its gateway frame, when known, is kept as bytes in `frames` and its parsed `payload`
 * dropped, except an interaction's (the host answers it); an event that came as its frame
 * alone and cannot ride raw is parsed.
 *
 * @example
 * ```ts
 * const queued = queuedEvent(frames, "messageCreate", undefined, frame);
 * queued.payload; // undefined: the worker gets the frame's bytes
 * ```
 */
export function queuedEvent(
  frames: RawJsonStore,
  name: ScriptEventName,
  payload: unknown,
  frame?: string,
  settled?: () => void,
  handover?: Handover,
  tenure?: EffectTenure,
): QueuedEvent {
  const kept = frame === undefined ? undefined : frames.store(frame) ?? undefined;
  return {
    name,
    payload: kept === undefined || name === "interactionCreate"
      ? payload ?? payloadOf(frame)
      : undefined,
    frame: kept,
    receivedAt: performance.now(),
    settled,
    handover,
    tenure,
  };
}

/**
 * A frame's `d`, for an event that came as its frame alone (`EventRouter.routeFrame`) when the
 * frame cannot ride raw (it holds a tab or a newline between its tokens).
 */
function payloadOf(frame: string | undefined): unknown {
  return frame === undefined ? undefined : (JSON.parse(frame) as { d?: unknown }).d;
}

/**
 * The partition tenure a cluster node runs an event under: its mutating calls land only while
 * this node still holds that tenure's lease (`effect_fencing.ts`).
 */
export interface EffectTenure {
  /** The event's partition (named when a call is refused). */
  partition: number;
  /**
   * Whether this node may still make the running event's effects happen: its partition lease
   * is valid by this node's accounting, same tenure (a partition being drained still may).
   * Checked at each mutating call (`effect_fencing.ts`).
   */
  mayAct(): boolean;
  /** Called when a mutating call was refused (a bus event is left unmarked and unacked). */
  fenced(): void;
  /**
   * What becomes of the event once a call is refused, as the refusal says it.
   * @default "the event runs on its next owner"
   */
  outcome?: string;
}

/**
 * A cluster bus event's tie to its partition: an event this node may no
 * longer start (the partition is being handed over, or its lease is gone) is
 * given back unstarted, and runs on the partition's next owner.
 */
export interface Handover extends EffectTenure {
  /** The bus event's stable id (its effect journal's key). */
  id: string;
  /** Whether a node may have run it before (redelivered, or given to a previous owner). */
  mayHaveRun: boolean;
  /** Whether this node may still start the event. */
  mayStart(): boolean;
  /** Called, instead of `settled`, when the event is given back unstarted. */
  withdrawn(): void;
}

/**
 * A FIFO with a backlog limit for droppable events. Never-dropped events are
 * always accepted, so order is kept for everything that was accepted.
 *
 * @example
 * ```ts
 * const queue = new GuildQueue(2);
 * queue.push({ name: "messageCreate", payload: {}, receivedAt: 0 }); // true
 * queue.push({ name: "messageCreate", payload: {}, receivedAt: 0 }); // true
 * queue.push({ name: "messageCreate", payload: {}, receivedAt: 0 }); // false: dropped
 * queue.push({ name: "interactionCreate", payload: {}, receivedAt: 0 }); // true: never dropped
 * ```
 */
export class GuildQueue {
  /**
   * Waiting events are `#items[#head..#tail)`; slots past `#tail` are reused. A queue that
   * empties starts again at slot 0, so a guild's array stops growing at its largest backlog
   * (growing it to a thousand slots per guild before compacting was ≈ 30 bytes of garbage an
   * event on the host).
   */
  #items: (QueuedEvent | undefined)[] = [];
  #head = 0;
  #tail = 0;
  /** Never-dropped events waiting (interactions, cron runs, lifecycle events). */
  #owed = 0;
  /** Dropped events of this guild, by event name. */
  readonly dropped = new Map<string, number>();

  constructor(readonly maxBacklog = 2_000) {
    if (!Number.isInteger(maxBacklog) || maxBacklog < 1) {
      throw new RangeError("a guild queue's backlog must be a whole number ≥ 1");
    }
  }

  /** Events waiting. */
  get length(): number {
    return this.#tail - this.#head;
  }

  /** Total events dropped from this guild. */
  get droppedTotal(): number {
    let total = 0;
    for (const n of this.dropped.values()) total += n;
    return total;
  }

  /** Queues an event; false when it was dropped (droppable and the backlog is full). */
  push(event: QueuedEvent): boolean {
    if (this.length >= this.maxBacklog && isDroppable(event.name)) {
      this.dropped.set(event.name, (this.dropped.get(event.name) ?? 0) + 1);
      return false;
    }
    this.#append(event);
    return true;
  }

  #append(event: QueuedEvent): void {
    if (!isDroppable(event.name)) this.#owed++;
    if (this.#tail < this.#items.length) this.#items[this.#tail] = event;
    else this.#items.push(event);
    this.#tail++;
  }

  /** Whether a never-dropped event (one that owes somebody an answer) waits. */
  get owesAnswer(): boolean {
    return this.#owed > 0;
  }

  /** The oldest waiting event, left in place. */
  get head(): QueuedEvent | undefined {
    return this.#items[this.#head];
  }

  /** The oldest waiting event, removed. */
  shift(): QueuedEvent | undefined {
    if (this.#head >= this.#tail) return undefined;
    const event = this.#items[this.#head]!;
    if (!isDroppable(event.name)) this.#owed--;
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#tail) this.#head = this.#tail = 0;
    else if (this.#head > 1_024 && this.#head * 2 > this.#tail) {
      // Compact once the consumed prefix dominates, keeping shift O(1) amortised.
      this.#items = this.#items.slice(this.#head, this.#tail);
      this.#tail -= this.#head;
      this.#head = 0;
    }
    return event;
  }

  /**
   * Removes the next batch: the oldest event alone, or a run of droppable
   * ones (at most `max`). Events this node may no longer start are given back
   * on the way ({@linkcode Handover}); empty only when nothing else waits.
   */
  takeBatch(max: number): QueuedEvent[] {
    const batch: QueuedEvent[] = [];
    while (batch.length === 0 && this.length > 0) {
      const n = batchLength(this.#items, this.#head, max);
      for (let i = 0; i < n; i++) {
        const event = this.shift()!;
        if (event.handover === undefined || !giveBack(event, false)) batch.push(event);
      }
    }
    return batch;
  }

  /**
   * Takes back the waiting events that can run elsewhere (those with a
   * {@linkcode Handover}, interactions excepted: this node already started answering
   * them), telling each; the rest keep their order. Returns how many.
   */
  withdraw(): number {
    let withdrawn = 0;
    for (const event of this.drain()) {
      if (giveBack(event, true)) withdrawn++;
      else this.#append(event);
    }
    return withdrawn;
  }

  /** Removes and returns everything waiting, oldest first. */
  drain(): QueuedEvent[] {
    const rest = this.#items.slice(this.#head, this.#tail) as QueuedEvent[];
    this.#items = [];
    this.#head = this.#tail = this.#owed = 0;
    return rest;
  }
}

/**
 * Gives an event back unstarted when it has a {@linkcode Handover} and is
 * not an interaction (this node began answering those): always, or only when
 * this node may no longer start it. True when it was given back.
 */
function giveBack(event: QueuedEvent, always: boolean): boolean {
  const handover = event.handover;
  if (handover === undefined || event.name === "interactionCreate") return false;
  if (!always && handover.mayStart()) return false;
  event.handover = event.settled = undefined;
  handover.withdrawn();
  return true;
}

/** Reports an event settled, once (it may pass several clean-up paths). */
export function settle(event: QueuedEvent): void {
  const settled = event.settled;
  event.settled = undefined;
  settled?.();
}
