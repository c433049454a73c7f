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
  #started = new WeakMap<object, Set<number>>();

  /** The process handed event `id` to the worker. */
  mark(worker: object, id: number): void {
    let ids = this.#started.get(worker);
    if (!ids) this.#started.set(worker, ids = new Set());
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
  split<E>(worker: object, inflight: Map<number, E>): { replay: E[]; interrupted: E[] } {
    const ids = this.#started.get(worker) ?? new Set<number>();
    this.#started.delete(worker);
    const replay: E[] = [];
    const interrupted: E[] = [];
    for (const [id, event] of inflight) (ids.has(id) ? interrupted : replay).push(event);
    return { replay, interrupted };
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
