/**
 * Limits how many workers a sandbox process starts at once. Starting a
 * worker is the expensive step (a thread, an isolate, the SDK bundle); a
 * burst of cold starts all at once would make every one of them slow (and
 * run into the load budget), so the rest wait their turn in arrival order.
 *
 * @module
 */

/**
 * Slots for concurrent starts, with a FIFO of waiters (each waiter once).
 *
 * @example
 * ```ts
 * const gate = new StartGate<string>(1);
 * gate.tryEnter("a"); // true: a starts
 * gate.tryEnter("b"); // false: b waits
 * gate.leave();       // a finished
 * gate.nextWaiting(); // "b": try it again
 * ```
 */
export class StartGate<T> {
  #running = 0;
  #waiting = new Set<T>();

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError("concurrent starts must be a whole number ≥ 1");
    }
  }

  /** Starts in progress. */
  get running(): number {
    return this.#running;
  }

  /** Waiters. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Takes a slot (true), or queues the item to be offered one later (false). */
  tryEnter(item: T): boolean {
    if (this.#running < this.max) {
      this.#running++;
      this.#waiting.delete(item);
      return true;
    }
    this.#waiting.add(item);
    return false;
  }

  /** Gives a slot back (a start finished, either way). */
  leave(): void {
    if (this.#running > 0) this.#running--;
  }

  /** The longest-waiting item, removed; the caller tries to enter again for it. */
  nextWaiting(): T | undefined {
    for (const item of this.#waiting) {
      this.#waiting.delete(item);
      return item;
    }
    return undefined;
  }

  /** Whether a slot is free. */
  get open(): boolean {
    return this.#running < this.max;
  }
}
