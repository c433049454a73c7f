/**
 * Which of a lost worker's events may be delivered again. The sandbox
 * process hands a worker one batch at a time (one event, or a run of
 * droppable ones) and tells the host when it does (`eventsStarted`); an
 * event the host never saw start had no effect anywhere (the worker's calls
 * come through the same pipe, after that notice), so delivering it to the
 * restarted worker handles it exactly once. An event that had started may
 * have acted already: it is not repeated (and its interaction is answered
 * with an apology).
 *
 * @module
 */

/**
 * Started event ids per worker (keyed by the host's worker object).
 *
 * @example
 * ```ts
 * const started = new StartedEvents();
 * const worker = {};
 * started.mark(worker, 1);
 * started.split(worker, new Map([[1, "a"], [2, "b"]])); // { replay: ["b"], interrupted: ["a"] }
 * ```
 */
export class StartedEvents {
  #started = new WeakMap<object, StartedIds>();

  /** The process handed event `id` to the worker. */
  mark(worker: object, id: number): void {
    let ids = this.#started.get(worker);
    if (!ids) this.#started.set(worker, ids = new StartedIds());
    ids.add(id);
  }

  /** The event finished: nothing to remember. */
  finish(worker: object, id: number): void {
    this.#started.get(worker)?.delete(id);
  }

  /**
   * Splits a lost worker's in-flight events (id → event, in send order):
   * `replay` never started, `interrupted` did. Forgets the worker.
   */
  split<E>(worker: object, inflight: Iterable<[number, E]>): { replay: E[]; interrupted: E[] } {
    const ids = this.#started.get(worker) ?? new StartedIds();
    this.#started.delete(worker);
    const replay: E[] = [];
    const interrupted: E[] = [];
    for (const [id, event] of inflight) (ids.has(id) ? interrupted : replay).push(event);
    return { replay, interrupted };
  }
}

/**
 * One worker's started ids, ascending in `#ids[#head..#end)`. The process reports a worker's
 * events in the order they were sent and they finish in about that order, so adding and
 * removing are at the ends and the array is reused once empty: a `Set` grew and shrank its
 * table on every batch (≈ 40 bytes of garbage an event on the host).
 */
class StartedIds {
  #ids: number[] = [];
  #head = 0;
  #end = 0;

  add(id: number): void {
    if (this.#end === this.#head || id > this.#ids[this.#end - 1]) {
      if (this.#end < this.#ids.length) this.#ids[this.#end] = id;
      else this.#ids.push(id);
      this.#end++;
      return;
    }
    const at = this.#search(id);
    if (this.#ids[at] === id) return;
    this.#ids.splice(at, 0, id); // out of order (not seen in practice): kept sorted
    this.#end++;
  }

  has(id: number): boolean {
    return this.#head < this.#end && this.#ids[this.#search(id)] === id;
  }

  delete(id: number): void {
    if (this.#head === this.#end) return;
    if (this.#ids[this.#head] === id) this.#head++;
    else {
      const at = this.#search(id);
      if (at >= this.#end || this.#ids[at] !== id) return;
      this.#ids.copyWithin(at, at + 1, this.#end);
      this.#end--;
    }
    if (this.#head === this.#end) this.#head = this.#end = 0;
    else if (this.#head > 1_024 && this.#head * 2 > this.#end) {
      this.#ids = this.#ids.slice(this.#head, this.#end);
      this.#end -= this.#head;
      this.#head = 0;
    }
  }

  /** The first slot in `[#head, #end)` holding `id` or more (`#end` if none does). */
  #search(id: number): number {
    let low = this.#head;
    let high = this.#end;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#ids[mid] < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** A FIFO that can be emptied and refilled (the guild's event queue). */
export interface RefillableQueue<E> {
  drain(): E[];
  push(event: E): boolean;
}

/** Puts `events` back at the head of `queue`, ahead of what was waiting, order kept. */
export function requeueFirst<E>(queue: RefillableQueue<E>, events: E[]): void {
  if (events.length === 0) return;
  const waiting = queue.drain();
  for (const event of [...events, ...waiting]) queue.push(event);
}
