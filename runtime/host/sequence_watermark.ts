/**
 * The sequence number of the last gateway event a shard has fully handled,
 * contiguously: every event up to it has been handled (or deliberately
 * dropped), so a RESUME from it replays exactly what is unfinished. Events
 * settle out of order (guilds run in parallel); the mark only moves past an
 * event once every earlier one has settled.
 *
 * @module
 */

/**
 * Pure bookkeeping for one shard's session.
 *
 * @example
 * ```ts
 * const mark = new SequenceWatermark(0);
 * mark.received(1);
 * mark.received(2);
 * mark.settled(2);
 * mark.value; // 0: event 1 is still running
 * mark.settled(1);
 * mark.value; // 2
 * ```
 */
export class SequenceWatermark {
  /** Received and not yet settled, in arrival (increasing) order; settled ones are marked. */
  #pending: number[] = [];
  #head = 0;
  #settled = new Set<number>();
  #value: number;
  #last: number;

  /** @param start the sequence already handled (0 for a fresh session). */
  constructor(start: number) {
    if (!Number.isInteger(start) || start < 0) {
      throw new RangeError(`start must be a whole number ≥ 0 (got ${start})`);
    }
    this.#value = start;
    this.#last = start;
  }

  /** The last sequence handled with nothing unfinished before it. */
  get value(): number {
    return this.#value;
  }

  /** Events received and not yet settled. */
  get unsettled(): number {
    return this.#pending.length - this.#head - this.#settled.size;
  }

  /**
   * An event arrived. Sequences at or below the last one seen (a replay of
   * something already counted) are ignored and need no settling: returns false.
   */
  received(seq: number): boolean {
    if (seq <= this.#last) return false;
    this.#last = seq;
    if (this.#head === this.#pending.length) {
      // Nothing unfinished: the mark may skip over sequences nobody saw (other intents).
      this.#pending.length = 0;
      this.#head = 0;
    }
    this.#pending.push(seq);
    return true;
  }

  /** An event was handled, or will never be (dropped). */
  settled(seq: number): void {
    if (seq <= this.#value) return;
    this.#settled.add(seq);
    while (this.#head < this.#pending.length && this.#settled.has(this.#pending[this.#head])) {
      const done = this.#pending[this.#head++];
      this.#settled.delete(done);
      this.#value = done;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Everything received is handled (the host is idle): the mark catches up. */
  settleAll(): void {
    this.#pending.length = 0;
    this.#head = 0;
    this.#settled.clear();
    this.#value = this.#last;
  }
}
