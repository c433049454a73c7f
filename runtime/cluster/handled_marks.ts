/**
 * The handled marks of one partition: the ids of the events its owners
 * finished, so that the next owner (or a redelivery) does not run them again.
 *
 * Marks are written in batches, one JetStream message per batch on the
 * partition's subject of the `<prefix>_handled` stream (kept `handledTtlMs`):
 * while one batch is being stored, the marks of the events finishing meanwhile
 * collect in the next (group commit). An event is acked only once the batch
 * with its mark is stored, so nothing is acked unmarked. One message per batch
 * instead of one KV entry per event: at 5,000 events/s the partition consumer
 * spent more CPU on its marks than on everything else (`bench --bus`).
 *
 * Marks are read back by time: an event's mark was written after the event was
 * stored, so the marks since an event's stored time (less the clock skew
 * between servers) hold its mark if it has one.
 *
 * @module
 */

import {
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import type { AckedPublisher } from "./acked_publisher.ts";

/**
 * Read from this long before an event's stored time: the event and its mark
 * may be stored by different servers, whose clocks agree within 2 s (as the
 * leases need).
 */
const CLOCK_MARGIN_MS = 5_000;

/** Where one partition's marks live. */
export interface MarksLocation {
  /** The marks stream (`<prefix>_handled`). */
  stream: string;
  /** The partition's subject in it (`<prefix>.handled.<partition>`). */
  subject: string;
}

/**
 * One partition's handled marks, for the node that owns it.
 *
 * @example
 * ```ts
 * const where = { stream: "flora_handled", subject: "flora.handled.3" };
 * const marks = new HandledMarks(new AckedPublisher(nc), jetstream(nc), jsm, where);
 * await marks.mark(event.id); // then ack
 * if (await marks.has(event.id, message.timestampNanos, { fresh: message.redelivered })) skip();
 * ```
 */
export class HandledMarks {
  readonly #publisher: AckedPublisher;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #where: MarksLocation;
  /** Marks not yet being written, and the promise their batch settles. */
  #next: { ids: string[]; stored: PromiseWithResolvers<void> } | null = null;
  #writing = false;
  /** The marks since `since` (ns), read once for the events a previous owner may have run. */
  #read: { since: bigint; ids: Promise<Set<string>> } | null = null;

  constructor(
    publisher: AckedPublisher,
    js: JetStreamClient,
    jsm: JetStreamManager,
    where: MarksLocation,
  ) {
    this.#publisher = publisher;
    this.#js = js;
    this.#jsm = jsm;
    this.#where = where;
  }

  /** Marks `id` handled; resolves once its batch is stored, rejects if it could not be. */
  mark(id: string): Promise<void> {
    this.#next ??= { ids: [], stored: Promise.withResolvers() };
    this.#next.ids.push(id);
    const stored = this.#next.stored.promise;
    if (!this.#writing) void this.#write();
    return stored;
  }

  async #write(): Promise<void> {
    this.#writing = true;
    try {
      for (let batch = this.#next; batch; batch = this.#next) {
        this.#next = null;
        try {
          await this.#publisher.publish(this.#where.subject, JSON.stringify(batch.ids));
          batch.stored.resolve();
        } catch (error) {
          batch.stored.reject(error);
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  /**
   * Whether a mark of `id` was stored since the event's stored time. `fresh`
   * reads the marks anew (a redelivery: this node may have marked it since the
   * last read); otherwise one read serves every event a previous owner left,
   * as they come in stream order.
   */
  has(id: string, storedAtNs: bigint, options: { fresh: boolean }): Promise<boolean> {
    const since = storedAtNs - BigInt(CLOCK_MARGIN_MS) * 1_000_000n;
    if (options.fresh) return this.#since(since).then((ids) => ids.has(id));
    if (!this.#read || this.#read.since > since) {
      this.#read = { since, ids: this.#since(since) };
      this.#read.ids.catch(() => this.#read = null); // read again next time
    }
    return this.#read.ids.then((ids) => ids.has(id));
  }

  /** The ids marked since `since` (ns), up to the last batch stored when the read began. */
  async #since(since: bigint): Promise<Set<string>> {
    const ids = new Set<string>();
    const sinceMs = Number(since / 1_000_000n);
    const last = await this.#jsm.streams.getMessage(this.#where.stream, {
      last_by_subj: this.#where.subject,
    }).catch((error) => {
      if (error instanceof JetStreamApiError) return null; // no marks at all
      throw error;
    });
    // None since then: a consumer starting there would wait for the next one.
    if (!last || last.time.getTime() < sinceMs) return ids;
    const consumer = await this.#js.consumers.get(this.#where.stream, {
      filter_subjects: this.#where.subject,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(sinceMs).toISOString(),
    });
    const messages = await consumer.consume();
    try {
      for await (const message of messages) {
        for (const id of message.json<string[]>()) ids.add(id);
        if (message.seq >= last.seq || message.info.pending === 0) break;
      }
    } finally {
      await messages.close();
    }
    return ids;
  }
}
