/**
 * The cluster's event bus on NATS JetStream. Gateway nodes publish each
 * routed dispatch to its guild's partition subject; the runtime node that
 * owns a partition consumes it with explicit acks.
 *
 * - **Dedup on publish.** Every event carries a stable id (for a gateway
 *   dispatch: its session id and sequence number, which a RESUME elsewhere
 *   replays unchanged), sent as `Nats-Msg-Id`: JetStream drops a second publish
 *   of the same id within the stream's duplicate window.
 * - **Per-guild order.** A partition's events arrive in stream order and are
 *   handed over (`take`) in that order per guild; the taker keeps the order
 *   (the sandbox's guild queue does) and may batch, so the next event is
 *   handed over without waiting for the previous one to finish. Up to
 *   `maxInFlight` events of a partition are unacked at a time.
 * - **Ack after the handler.** An event is acked only after `take`'s promise
 *   settled (the script's handler finished, or the event was dropped by
 *   backpressure or lost with its worker) and its id was marked handled
 *   (`handled_marks.ts`: marks are written in batches to a stream with a TTL).
 *   The ack is not confirmed: one lost on the way leaves the event to be
 *   delivered again, and its mark skips it.
 * - **Takeover from the ack floor.** A new owner replaces the partition's
 *   durable consumer with one starting after the old one's ack floor, so the
 *   old owner (dead, or paused and fenced out) can ack nothing more and every
 *   event it did not finish is delivered again. Events up to the old
 *   consumer's last delivery, and redeliveries, are checked against the
 *   handled marks first, so what the old owner finished does not run twice.
 *
 * @module
 */

import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  jetstream,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { KeyedQueue } from "../../storage/embedded/keyed_queue.ts";
import { within } from "../../shared/within.ts";
import { AckedPublisher } from "./acked_publisher.ts";
import { HandledMarks } from "./handled_marks.ts";
import { DEFAULT_PARTITION_COUNT, partitionOf } from "./partitions.ts";
import { type BusEvent, decodeBusMessage, encodeBusMessage } from "./bus_message.ts";

export type { BusEvent };

/** Where one cluster's bus lives; every node of the cluster must agree. */
export interface BusOptions {
  /**
   * Names the stream (`<prefix>_events`), subjects (`<prefix>.events.<partition>`) and the
   * handled-marks stream (`<prefix>_handled`); letters, digits, `_` and `-`.
   * @default "flora"
   */
  prefix?: string;
  /** @default DEFAULT_PARTITION_COUNT */
  partitions?: number;
}

/** Retention settings, used when the stream and bucket are created. */
export interface BusRetention {
  /**
   * How long a published id is remembered for dedup, ms.
   * @default 120_000
   */
  duplicateWindowMs?: number;
  /**
   * How long events stay in the stream, acked or not, ms.
   * @default 3_600_000
   */
  maxAgeMs?: number;
  /**
   * How long a handled mark is kept, ms (must exceed a takeover's redelivery span).
   * @default 600_000
   */
  handledTtlMs?: number;
}

const PREFIX = /^[A-Za-z0-9_-]{1,32}$/;
const MS = 1_000_000; // JetStream durations are nanoseconds

/** The names a bus prefix gives its JetStream resources. */
export function busNames(prefix = "flora") {
  if (!PREFIX.test(prefix)) {
    throw new RangeError(`bus prefix ${JSON.stringify(prefix)} must match ${PREFIX}`);
  }
  return {
    stream: `${prefix}_events`,
    subject: (partition: number) => `${prefix}.events.${partition}`,
    /** The handled marks (`handled_marks.ts`), a subject per partition. */
    handled: `${prefix}_handled`,
    handledSubject: (partition: number) => `${prefix}.handled.${partition}`,
    consumer: (partition: number) => `p${partition}`,
    /** Lease buckets of the partitions and of the live runtime nodes. */
    partitionLeases: `${prefix}_partitions`,
    memberLeases: `${prefix}_members`,
    /** Gateway nodes' shard leases, and their shards' sessions and identify slots. */
    shardLeases: `${prefix}_shards`,
    gatewaySessions: `${prefix}_gateway`,
    /** Heartbeats of every node (any role), for the operator view. */
    nodes: `${prefix}_nodes`,
    /** Settings every node must share (the partition count). */
    settings: `${prefix}_settings`,
  };
}

/** Nodes of one cluster disagree on a setting every node must share. */
export class BusMismatchError extends Error {
  override name = "BusMismatchError";
}

/**
 * Creates the bus's streams (events, handled marks) if missing (every node may
 * call it at start; an existing stream is kept as it is). The first node
 * records the partition count; a node configured with another one is refused
 * ({@linkcode BusMismatchError}), since its events would go to partitions
 * nobody consumes.
 */
export async function ensureEventBus(
  nc: NatsConnection,
  options: BusOptions & BusRetention = {},
): Promise<void> {
  const {
    prefix = "flora",
    duplicateWindowMs = 120_000,
    maxAgeMs = 3_600_000,
    handledTtlMs = 600_000,
  } = options;
  const names = busNames(prefix);
  const jsm = await jetstreamManager(nc);
  const ensure = async (config: Parameters<typeof jsm.streams.add>[0] & { name: string }) => {
    try {
      await jsm.streams.info(config.name);
    } catch (error) {
      if (!(error instanceof JetStreamApiError)) throw error;
      await jsm.streams.add(config);
    }
  };
  await ensure({
    name: names.stream,
    subjects: [`${prefix}.events.*`],
    duplicate_window: duplicateWindowMs * MS,
    max_age: maxAgeMs * MS,
  });
  await ensure({
    name: names.handled,
    subjects: [`${prefix}.handled.*`],
    max_age: handledTtlMs * MS,
  });
  const kvm = new Kvm(nc);
  const partitions = options.partitions ?? DEFAULT_PARTITION_COUNT;
  const settings = await kvm.create(names.settings, { history: 1 });
  try {
    await settings.create("partitions", String(partitions));
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error; // recorded already: compare
  }
  const recorded = Number((await settings.get("partitions"))?.string());
  if (recorded !== partitions) {
    throw new BusMismatchError(
      `FLORA_PARTITIONS is ${partitions}, but the cluster on bus prefix "${prefix}" was created ` +
        `with ${recorded}: every node must use the same count (set FLORA_PARTITIONS=${recorded})`,
    );
  }
}

/** Removes the bus's stream and buckets (tests, and tearing a cluster down). */
export async function removeEventBus(nc: NatsConnection, prefix = "flora"): Promise<void> {
  const names = busNames(prefix);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(names.stream).catch(() => false);
  await jsm.streams.delete(names.handled).catch(() => false);
  const kvm = new Kvm(nc);
  const buckets = [
    names.partitionLeases,
    names.memberLeases,
    names.shardLeases,
    names.gatewaySessions,
    names.nodes,
    names.settings,
  ];
  for (const bucket of buckets) {
    // Opening a missing bucket fails; there is nothing to remove then.
    await kvm.open(bucket).then((kv) => kv.destroy()).catch(() => false);
  }
}

/** What a publish did. */
export interface Published {
  partition: number;
  /** Stream sequence of the event (of the first publish, for a duplicate). */
  seq: number;
  /** True when the id was already published within the duplicate window (nothing was added). */
  duplicate: boolean;
}

/** Publishes routed dispatches to their partitions (the gateway role's side). */
export class EventPublisher {
  readonly #publisher: AckedPublisher;
  readonly #names: ReturnType<typeof busNames>;
  readonly partitions: number;

  constructor(nc: NatsConnection, options: BusOptions = {}) {
    this.#publisher = new AckedPublisher(nc);
    this.#names = busNames(options.prefix);
    this.partitions = options.partitions ?? DEFAULT_PARTITION_COUNT;
  }

  /**
   * Publishes `event` to its guild's partition and waits for JetStream to store it.
   *
   * @example
   * ```ts
   * await publisher.publish({ id: `${sessionId}:${seq}`, guildId, payload });
   * ```
   */
  async publish(event: BusEvent): Promise<Published> {
    const partition = partitionOf(event.guildId, this.partitions);
    const ack = await this.#publisher.publish(
      this.#names.subject(partition),
      encodeBusMessage(event),
      { msgID: event.id },
    );
    return { partition, seq: ack.seq, duplicate: ack.duplicate };
  }
}

/** What became of one event a partition consumer took. */
export type ConsumerOutcome =
  | "handled"
  | "duplicate"
  | "fenced"
  | "failed"
  | "redelivered"
  | "withdrawn";

/** What the consumer knows of an event's deliveries. */
export interface Delivery {
  /**
   * Whether a node may have run it before: JetStream delivered it before, or a previous
   * owner's consumer reached it. False: this is its first delivery to anyone.
   */
  mayHaveRun: boolean;
}

/** How an event handed to {@linkcode PartitionConsumerOptions.take} ended on this node. */
export type TakeResult = "finished" | "withdrawn" | "fenced";

/** Counters of one partition consumer. */
export interface ConsumerStats {
  handled: number;
  /** Events skipped because a previous owner (or an earlier delivery) had handled them. */
  duplicates: number;
  /**
   * Events not handled because the lease was no longer valid (fenced out), also those that
   * arrived while the consumer stopped after its lease ended.
   */
  fenced: number;
  /** Events whose `take` rejected (still acked: a bad script must not block its guild). */
  failed: number;
  /**
   * Events given back before they started (left unacked to the next owner), also those that
   * arrived while the consumer stopped with its lease still valid (a handover).
   */
  withdrawn: number;
}

/** How long `stop` waits for events in flight by default (a shutdown's drain), ms. */
export const DRAIN_DEADLINE_MS = 5_000;

/**
 * Longest wait, as a consumer stops, for the events the server delivered before to be read
 * (a round trip on a sound connection; during an outage it waits for the reconnect), ms.
 */
const UNREAD_WAIT_MS = 1_000;

export interface PartitionConsumerOptions extends BusOptions {
  partition: number;
  /**
   * Takes one event, in stream order per guild, and resolves once it is finished (handled,
   * dropped by backpressure, or lost with its worker): only then is it marked and acked. The
   * guild's next event is handed over as soon as `take` returned, so the taker keeps a guild's
   * order itself (and may batch its events). Resolving `"withdrawn"` says it was given back
   * before it started (the partition is being handed over): neither marked nor acked, it runs
   * on the next owner. Resolving `"fenced"` says a call of its handler was refused because the
   * lease looked lapsed (`runtime/host/effect_fencing.ts`): neither marked nor acked either, and
   * if the lease is still this node's after all (a late renewal), delivered again at once.
   */
  take(event: BusEvent, delivery: Delivery): Promise<TakeResult>;
  /** Told once an event's handled mark is stored (it will not run again): e.g. its journal goes. */
  marked?(event: BusEvent): void;
  /**
   * Whether this node may still act for the partition (its lease is valid); checked before
   * each event. Once false, nothing more is handled or acked.
   */
  fence(): boolean;
  /**
   * Most events delivered but not yet acked (across the partition's guilds).
   * @default 256
   */
  maxInFlight?: number;
  /**
   * How long an unacked event waits before JetStream delivers it again, ms.
   * @default 60_000
   */
  ackWaitMs?: number;
  /** Receives handler and bus errors (the consumer keeps going). */
  onError?(error: unknown): void;
  /** Told each event's outcome (`redelivered` in addition to the others), e.g. for metrics. */
  onOutcome?(outcome: ConsumerOutcome): void;
}

/**
 * Consumes one partition for the node that owns it. `start` takes the
 * partition over from whoever had it before; `stop` stops taking events and
 * waits for the ones in flight (drain before handing the partition over).
 */
export class PartitionConsumer {
  readonly stats: ConsumerStats = { handled: 0, duplicates: 0, fenced: 0, failed: 0, withdrawn: 0 };
  readonly #options: PartitionConsumerOptions;
  readonly #marks: HandledMarks;
  #messages: ConsumerMessages | undefined;
  readonly #nc: NatsConnection;
  /** Stream sequence up to which a previous owner may have handled events. */
  readonly #highWater: number;
  readonly #guilds = new KeyedQueue();
  readonly #inFlight = new Set<Promise<void>>();
  #stopping = false;
  /** `stop` gave up on events still running: their late marks and acks fail, expectedly. */
  #abandoned = false;

  private constructor(
    nc: NatsConnection,
    options: PartitionConsumerOptions,
    marks: HandledMarks,
    highWater: number,
  ) {
    this.#options = options;
    this.#marks = marks;
    this.#nc = nc;
    this.#highWater = highWater;
  }

  /** Takes the partition over (see the module doc) and starts consuming it. */
  static async start(
    nc: NatsConnection,
    options: PartitionConsumerOptions,
  ): Promise<PartitionConsumer> {
    const names = busNames(options.prefix);
    const jsm = await jetstreamManager(nc);
    const highWater = await replaceConsumer(jsm, names, options);
    const consumer: Consumer = await jetstream(nc).consumers.get(
      names.stream,
      names.consumer(options.partition),
    );
    const marks = new HandledMarks(new AckedPublisher(nc), jetstream(nc), jsm, {
      stream: names.handled,
      subject: names.handledSubject(options.partition),
    });
    const partition = new PartitionConsumer(nc, options, marks, highWater);
    // A callback, not the messages' async iterator: each message is taken in the read that
    // brought it. Through the iterator the hop (publish → take, publisher and consumer in two
    // processes) was 0.06–0.08 ms longer at p50 (load 31–40).
    const messages = await consumer.consume({
      max_messages: options.maxInFlight ?? 256,
      callback: (message) => partition.#receive(message),
    });
    partition.#messages = messages;
    // Consuming ends by `stop`, or by an error (e.g. the consumer refused).
    messages.closed().then((error) => {
      if (error && !partition.#stopping) options.onError?.(error);
    });
    return partition;
  }

  #receive(message: JsMsg): void {
    if (this.#stopping) return this.#leave();
    let event: BusEvent;
    try {
      event = decodeBusMessage(message.string(), message.headers);
    } catch (error) {
      // Not an event (no gateway node publishes this): it can never run, so it is not delivered
      // again (`term`), and the partition goes on.
      this.#options.onError?.(
        new Error(`stream sequence ${message.seq} is not an event, dropped: ${error}`),
      );
      if (this.#options.fence()) message.term();
      return;
    }
    // Handed over in order per guild; finished (marked, acked) whenever its handler ends.
    const taken = this.#guilds.runNow(event.guildId, () => this.#take(message, event));
    const task = taken.then((finished) => finished && this.#finish(message, event, finished));
    this.#inFlight.add(task);
    task.finally(() => this.#inFlight.delete(task));
  }

  /**
   * Hands the event over unless fenced out or already handled (then acks a
   * duplicate); resolves with its completion, boxed so the guild's queue does
   * not wait for it.
   */
  async #take(
    message: JsMsg,
    event: BusEvent,
  ): Promise<{ done: Promise<TakeResult> } | undefined> {
    if (!this.#options.fence()) {
      this.stats.fenced++;
      this.#options.onOutcome?.("fenced");
      return undefined;
    }
    const mayBeDone = message.seq <= this.#highWater || message.redelivered;
    try {
      if (message.redelivered) this.#options.onOutcome?.("redelivered");
      const fresh = { fresh: message.redelivered };
      if (mayBeDone && await this.#marks.has(event.id, message.timestampNanos, fresh)) {
        this.stats.duplicates++;
        this.#options.onOutcome?.("duplicate");
        if (this.#options.fence()) message.ack();
        return undefined;
      }
    } catch (error) {
      // The mark could not be read or the ack failed (bus down, consumer replaced): the event
      // will be delivered again.
      this.#options.onError?.(error);
      return undefined;
    }
    if (this.#stopping) { // draining: left unacked to the next owner
      this.#leave();
      return undefined;
    }
    if (!this.#options.fence()) { // fenced out while reading the mark
      this.stats.fenced++;
      this.#options.onOutcome?.("fenced");
      return undefined;
    }
    return { done: this.#options.take(event, { mayHaveRun: mayBeDone }) };
  }

  async #finish(
    message: JsMsg,
    event: BusEvent,
    taken: { done: Promise<TakeResult> },
  ): Promise<void> {
    try {
      const done = await taken.done;
      if (done === "withdrawn") {
        this.stats.withdrawn++;
        this.#options.onOutcome?.("withdrawn");
        return;
      }
      if (done === "fenced") {
        this.stats.fenced++;
        this.#options.onOutcome?.("fenced");
        // Renewed in time after all: run again here now rather than after `ack_wait` (its
        // earlier effects replayed from the journal); else the next owner has it.
        if (this.#options.fence()) message.nak();
        return;
      }
    } catch (error) {
      this.stats.failed++;
      this.#options.onOutcome?.("failed");
      this.#options.onError?.(error);
    }
    this.stats.handled++;
    this.#options.onOutcome?.("handled");
    try {
      await this.#marks.mark(event.id);
      this.#options.marked?.(event);
      // Fenced out meanwhile: the next owner owns the acks (and finds the mark). Not waited
      // for: the mark is stored first, so an ack lost on the way only brings the event back
      // as a duplicate (a confirmed ack cost 65 µs of client CPU per event, `bench --bus`).
      if (this.#options.fence()) message.ack();
    } catch (error) {
      // The mark or ack failed (bus down, consumer replaced): the event will be delivered again.
      if (!this.#abandoned) this.#options.onError?.(error);
    }
  }

  /**
   * An event that arrived (or finished reading its mark) once `stop` began: not started, left
   * unacked to the next owner, and counted as fenced when the lease has ended (the node was
   * paused or starved past it), else as withdrawn (the partition is being handed over).
   */
  #leave(): void {
    const outcome = this.#options.fence() ? "withdrawn" : "fenced";
    this.stats[outcome]++;
    this.#options.onOutcome?.(outcome);
  }

  /** Resolves once every event taken has finished (marked and acked, or given up). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Events taken and not yet finished (marked and acked, or given up). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Stops taking events and waits for those already taken, up to
   * `deadlineMs`: each runs to its end (or is skipped, when the fence says
   * the lease is gone). Resolves with how many were still unfinished at the
   * deadline: they stay unacked, so the partition's next owner runs them.
   */
  async stop(deadlineMs = DRAIN_DEADLINE_MS): Promise<number> {
    this.#stopping = true;
    // What the server delivered before now is read (and counted, `#leave`) before the
    // subscription closes: a ping's answer comes after it. A node paused past its lease finds
    // the events pushed to its open pull meanwhile in its socket, and reads them after its
    // lease's loss stopped the consumer when its main thread is busy as it resumes (2 of 4
    // such pauses): closed at once, they were dropped unseen, left to the next owner unsaid.
    await within(this.#nc.flush(), UNREAD_WAIT_MS);
    await this.#messages?.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, deadlineMs));
    let late = false;
    deadline.then(() => late = true);
    try {
      while (this.#inFlight.size > 0 && !late) {
        await Promise.race([Promise.allSettled([...this.#inFlight]), deadline]);
      }
    } finally {
      clearTimeout(timer);
    }
    this.#abandoned = this.#inFlight.size > 0;
    // The acks sent reach the server before the partition is handed over (they are not
    // confirmed one by one): the next owner, starting from the ack floor, gets fewer again.
    await this.#nc.flush().catch(() => {});
    return this.#inFlight.size;
  }
}

/**
 * Replaces the partition's durable consumer with one that starts after the
 * old one's ack floor; returns the old one's last delivered sequence (0 when
 * there was none).
 */
async function replaceConsumer(
  jsm: JetStreamManager,
  names: ReturnType<typeof busNames>,
  options: PartitionConsumerOptions,
): Promise<number> {
  const name = names.consumer(options.partition);
  let startSeq: number | undefined;
  let highWater = 0;
  try {
    const old = await jsm.consumers.info(names.stream, name);
    startSeq = old.ack_floor.stream_seq + 1;
    highWater = old.delivered.stream_seq;
    await jsm.consumers.delete(names.stream, name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error; // not found: first owner
  }
  await jsm.consumers.add(names.stream, {
    durable_name: name,
    filter_subject: names.subject(options.partition),
    ack_policy: AckPolicy.Explicit,
    ack_wait: (options.ackWaitMs ?? 60_000) * MS,
    max_ack_pending: options.maxInFlight ?? 256,
    ...(startSeq === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }),
  });
  return highWater;
}
