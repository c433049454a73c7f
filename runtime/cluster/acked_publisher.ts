/**
 * JetStream publishes with their acks (PubAck) collected on one subscription
 * of this publisher's own: the bus publishes an event per dispatch and a batch
 * of handled marks, and nats.js's `js.publish` spends more on its request
 * machinery than on the message (a random token, a timer and a deferred per
 * request, and an `Error` with its stack built on every answer, even when
 * async traces are off). Here a publish is one message with a numbered reply
 * subject and one map entry; a single sweep fails what had no answer in time.
 *
 * Ordering is the connection's, as with `js.publish`: messages published on
 * one connection reach their stream in that order.
 *
 * @module
 */

import { createInbox, headers, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";

/** What JetStream answered for a stored message. */
export interface PubAck {
  stream: string;
  seq: number;
  /** The message id was seen within the stream's duplicate window: nothing was added. */
  duplicate: boolean;
}

/** A publish JetStream refused, or that no stream took, or that went unanswered. */
export class PublishError extends Error {
  override name = "PublishError";
}

interface Waiting {
  resolve(ack: PubAck): void;
  reject(error: Error): void;
  /** When it was sent (`performance.now()`). */
  sent: number;
  subject: string;
}

/**
 * Publishes to JetStream streams over one connection.
 *
 * @example
 * ```ts
 * const publisher = new AckedPublisher(nc);
 * const { seq, duplicate } = await publisher.publish("flora.events.3", body, { msgID: "s:42" });
 * ```
 */
export class AckedPublisher {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #inbox: string;
  readonly #waiting = new Map<number, Waiting>();
  #subscribed = false;
  #next = 0;
  #sweep: ReturnType<typeof setInterval> | undefined;

  /** @param timeoutMs how long a publish waits for its ack (as `js.publish`'s default). */
  constructor(nc: NatsConnection, { timeoutMs = 5_000 }: { timeoutMs?: number } = {}) {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, not ${timeoutMs}`);
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
    this.#inbox = createInbox();
  }

  /** Publishes `body` to `subject` and resolves with JetStream's ack once it is stored. */
  publish(
    subject: string,
    body: string | Uint8Array,
    options: { msgID?: string; headers?: MsgHdrs } = {},
  ): Promise<PubAck> {
    if (!this.#subscribed) this.#subscribe();
    const n = ++this.#next;
    let h = options.headers;
    if (options.msgID !== undefined) {
      h ??= headers();
      h.set("Nats-Msg-Id", options.msgID);
    }
    const { promise, resolve, reject } = Promise.withResolvers<PubAck>();
    try {
      this.#nc.publish(subject, body, { reply: `${this.#inbox}.${n}`, headers: h });
    } catch (error) {
      return Promise.reject(error);
    }
    this.#waiting.set(n, { resolve, reject, sent: performance.now(), subject });
    this.#sweep ??= setInterval(() => this.#expire(), Math.min(1_000, this.#timeoutMs));
    return promise;
  }

  #subscribe(): void {
    this.#subscribed = true;
    const prefix = this.#inbox.length + 1;
    this.#nc.subscribe(`${this.#inbox}.*`, {
      callback: (error, msg) => {
        if (error) {
          // The subscription ended (connection closed): nothing more will be answered.
          for (const waiting of this.#waiting.values()) waiting.reject(error);
          this.#waiting.clear();
          this.#subscribed = false;
          return;
        }
        const n = Number(msg.subject.slice(prefix));
        const waiting = this.#waiting.get(n);
        if (!waiting) return; // answered after it timed out
        this.#waiting.delete(n);
        if (msg.data.length === 0) {
          const status = msg.headers?.code === 503 ? "no stream takes this subject" : "no answer";
          waiting.reject(new PublishError(`publish to ${waiting.subject}: ${status}`));
          return;
        }
        try {
          const answer = msg.json<PubAck & { error?: { description?: string } }>();
          if (answer.error) throw new PublishError(answer.error.description ?? "refused");
          waiting.resolve({
            stream: answer.stream,
            seq: answer.seq,
            duplicate: answer.duplicate === true,
          });
        } catch (error) {
          waiting.reject(error instanceof Error ? error : new PublishError(String(error)));
        }
      },
    });
  }

  /** Fails the publishes unanswered for `timeoutMs`; stops sweeping once none wait. */
  #expire(): void {
    const before = performance.now() - this.#timeoutMs;
    for (const [n, waiting] of this.#waiting) {
      if (waiting.sent > before) break; // in sending order: the rest are younger
      this.#waiting.delete(n);
      waiting.reject(
        new PublishError(`publish to ${waiting.subject}: no ack within ${this.#timeoutMs} ms`),
      );
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }
}
