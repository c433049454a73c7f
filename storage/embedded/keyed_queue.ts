/**
 * Runs tasks one after another per key (e.g. per guild). Writes that would
 * all check the same Deno KV counter queue up in-process instead of racing
 * and retrying; the atomic checks still guard against other processes.
 *
 * @module
 */

export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` after every task queued before it under `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    return this.#queue(key, previous.then(() => task()));
  }

  /**
   * As `run`, but when nothing is queued under `key` the task starts in this
   * call rather than on a later microtask: the bus's intake hands an event to
   * its guild this way (the hop to the next microtask, with its promises, was
   * 17 µs p50 of a reply's path on a cold, loaded core; `bench/hop_probe.ts`).
   */
  runNow<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    if (previous) return this.#queue(key, previous.then(() => task()));
    let result: Promise<T>;
    try {
      result = task();
    } catch (error) {
      result = Promise.reject(error);
    }
    return this.#queue(key, result);
  }

  /** Makes `result` the tail under `key`, forgotten once it settles with nothing after it. */
  #queue<T>(key: string, result: Promise<T>): Promise<T> {
    const tail = result.then(() => {}, () => {});
    this.#tails.set(key, tail);
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
