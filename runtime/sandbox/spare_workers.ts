/**
 * Workers started ahead of need, so a guild's cold start skips creating the
 * thread and isolate and evaluating the SDK bundle: a spare has run nothing
 * but flora's own runtime, so handing it to any guild is safe. Each one
 * taken is replaced in the background.
 *
 * Replaced when the process is quiet: `new Worker()` blocks the calling
 * thread until the new isolate is up (≈ 35 ms measured here), and this
 * thread relays every message of every guild in the process. Made right
 * after a take, a spare used to stall the guild that had just started (its
 * `loaded` waited behind it): one-at-a-time cold starts took ≈ 40 ms instead
 * of ≈ 5. (Making workers on a thread of their own does not help in Deno
 * 2.9.6: a worker created by a worker takes about 1 s to run its first
 * message.)
 *
 * @module
 */

/** A spare is made once the process has relayed nothing for this long, ms. */
export const QUIET_MS = 20;
/** …or this long after it was needed, ms, so a process that is never quiet still gets spares. */
export const MAX_DEFER_MS = 1_000;

/**
 * How long to wait before making a spare, ms (0: now), given when the
 * process last relayed a message and when the spare was first needed.
 *
 * @example
 * ```ts
 * spareDelay(100, 95, 90); // 15: busy 5 ms ago, wait for 20 ms of quiet
 * spareDelay(100, 50, 90); // 0: quiet for 50 ms
 * ```
 */
export function spareDelay(now: number, activeAt: number, neededAt: number): number {
  const quietFor = now - activeAt;
  if (quietFor >= QUIET_MS || now - neededAt >= MAX_DEFER_MS) return 0;
  return Math.min(QUIET_MS - quietFor, MAX_DEFER_MS - (now - neededAt));
}

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
  /** When the process last relayed a message (performance.now()). */
  #activeAt = -Infinity;
  /** When the missing spare was first needed. */
  #neededAt = 0;

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

  /** Spares made and not taken. */
  get size(): number {
    return this.#spares.length;
  }

  /** The process relayed a message: a spare made now would delay it. Cheap; call per message. */
  noteActivity(): void {
    this.#activeAt = performance.now();
  }

  /** A worker for a guild: a spare if there is one, else a new one. */
  take(): Worker {
    const worker = this.#spares.shift() ?? this.#create();
    this.#scheduleRefill();
    return worker;
  }

  #scheduleRefill(): void {
    if (this.#refill !== undefined || this.#closed || this.#spares.length >= this.target) return;
    this.#neededAt = performance.now();
    this.#refill = setTimeout(() => this.#refillWhenQuiet(), QUIET_MS);
  }

  #refillWhenQuiet(): void {
    this.#refill = undefined;
    if (this.#closed || this.#spares.length >= this.target) return;
    const wait = spareDelay(performance.now(), this.#activeAt, this.#neededAt);
    if (wait > 0) {
      this.#refill = setTimeout(() => this.#refillWhenQuiet(), wait);
      return;
    }
    this.#spares.push(this.#create());
    this.#scheduleRefill();
  }

  /** Terminates the spares. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#refill);
    for (const worker of this.#spares.splice(0)) worker.terminate();
  }
}
