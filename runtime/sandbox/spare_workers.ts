/**
 * Workers started ahead of need, so a guild's cold start skips creating the
 * thread and isolate and evaluating the SDK bundle: a spare has run nothing
 * but flora's own runtime, so handing it to any guild is safe. Each one
 * taken is replaced in the background.
 *
 * @module
 */

/**
 * A small stock of idle workers running the worker runtime.
 *
 * @example
 * ```ts
 * const spares = new SpareWorkers(runtimeUrl, 2);
 * const worker = spares.take(); // ready (or nearly), no permissions
 * ```
 */
export class SpareWorkers {
  #spares: Worker[] = [];
  #refill: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(readonly runtimeUrl: string, readonly target = 2) {
    this.#scheduleRefill();
  }

  #create(): Worker {
    return new Worker(this.runtimeUrl, {
      type: "module",
      name: "flora-guild",
      deno: { permissions: "none" },
    });
  }

  /** A worker for a guild: a spare if there is one, else a new one. */
  take(): Worker {
    const worker = this.#spares.shift() ?? this.#create();
    this.#scheduleRefill();
    return worker;
  }

  #scheduleRefill(): void {
    if (this.#refill !== undefined || this.#closed || this.target < 1) return;
    // After the current burst of messages: a start in progress comes first.
    this.#refill = setTimeout(() => {
      this.#refill = undefined;
      if (this.#closed || this.#spares.length >= this.target) return;
      this.#spares.push(this.#create());
      this.#scheduleRefill();
    }, 5);
  }

  /** Terminates the spares. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#refill);
    for (const worker of this.#spares.splice(0)) worker.terminate();
  }
}
