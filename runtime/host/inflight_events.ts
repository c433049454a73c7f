/**
 * A worker's events in flight, by event id. Ids are handed out in
 * increasing order (`GuildWorker.nextEventId`) and a batch's events finish
 * together, so the events sit in an array indexed from the oldest id, which
 * starts again at slot 0 whenever nothing is in flight. A `Map` grew and
 * shrank its table on every batch (≈ 150 bytes of garbage an event on the
 * host, kept alive across the batch's trip, so promoted by the collector).
 *
 * @module
 */

/**
 * Events in flight by id; ids must be set in increasing order.
 *
 * @example
 * ```ts
 * const inflight = new InflightEvents<string>();
 * inflight.set(7, "a");
 * inflight.set(8, "b");
 * inflight.delete(7); // true
 * inflight.get(8); // "b"
 * inflight.size; // 1
 * ```
 */
export class InflightEvents<E> {
  /** Events by `id - #first`; finished ones are `undefined`. */
  #slots: (E | undefined)[] = [];
  /** The id of slot 0. */
  #first = 0;
  /** The oldest slot that may still hold an event. */
  #head = 0;
  /** Slots in use: `[0, #end)`. */
  #end = 0;
  #size = 0;

  /** Events in flight. */
  get size(): number {
    return this.#size;
  }

  /** Records event `id`, which must be above every id recorded since the last time none was in flight. */
  set(id: number, event: E): this {
    if (!Number.isSafeInteger(id)) {
      throw new RangeError(`an event id must be a whole number (got ${id})`);
    }
    if (this.#size === 0) {
      this.#first = id;
      this.#head = this.#end = 0;
    }
    const at = id - this.#first;
    if (at < this.#end) {
      throw new RangeError(
        `event ids must increase (got ${id} after ${this.#first + this.#end - 1})`,
      );
    }
    while (this.#end < at) this.#put(this.#end++, undefined);
    this.#put(this.#end++, event);
    this.#size++;
    return this;
  }

  /** Writes a slot, reusing the array's room before growing it. */
  #put(at: number, event: E | undefined): void {
    if (at < this.#slots.length) this.#slots[at] = event;
    else this.#slots.push(event);
  }

  /** The event with this id, if it is in flight. */
  get(id: number): E | undefined {
    const at = id - this.#first;
    return at >= this.#head && at < this.#end ? this.#slots[at] : undefined;
  }

  /** Whether the event with this id is in flight. */
  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Forgets the event with this id; false when it was not in flight. */
  delete(id: number): boolean {
    const at = id - this.#first;
    if (at < this.#head || at >= this.#end || this.#slots[at] === undefined) return false;
    this.#slots[at] = undefined;
    if (--this.#size === 0) {
      this.#head = this.#end = 0;
      return true;
    }
    while (this.#slots[this.#head] === undefined) this.#head++;
    if (this.#head > 1_024 && this.#head * 2 > this.#end) {
      // The oldest event stayed while many after it finished: drop the finished prefix.
      this.#slots = this.#slots.slice(this.#head, this.#end);
      this.#first += this.#head;
      this.#end -= this.#head;
      this.#head = 0;
    }
    return true;
  }

  /** Forgets every event. */
  clear(): void {
    this.#slots = [];
    this.#head = this.#end = this.#size = 0;
  }

  /** The events in flight, oldest first. */
  *values(): IterableIterator<E> {
    for (const [, event] of this) yield event;
  }

  /** `[id, event]` pairs, oldest first. */
  *[Symbol.iterator](): IterableIterator<[number, E]> {
    const end = this.#end;
    for (let at = this.#head; at < end && at < this.#end; at++) {
      const event = this.#slots[at];
      if (event !== undefined) yield [this.#first + at, event];
    }
  }
}
