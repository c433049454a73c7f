/**
 * The timers the sandbox manager runs in the background: the idle sweep,
 * which runs only while any worker is resident, and the wait for in-flight
 * work to finish at shutdown.
 *
 * @module
 */

/**
 * Calls `sweep` every `everyMs` while there are resident workers.
 *
 * @example
 * ```ts
 * const sweep = new IdleSweep(1_000, () => evictIdle());
 * sweep.check(residency.size, false); // starts the timer when something is resident
 * sweep.stop();
 * ```
 */
export class IdleSweep {
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(readonly everyMs: number, readonly sweep: () => void) {}

  /** Starts the timer when workers are resident (and not closing); stops it when none are. */
  check(resident: number, closing: boolean): void {
    if (resident > 0 && !this.#timer && !closing) {
      this.#timer = setInterval(this.sweep, this.everyMs);
    } else if (resident === 0 && this.#timer) this.stop();
  }

  /** Stops the timer. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/**
 * Lets shutdown wait until nothing is queued or in flight, up to a deadline.
 *
 * @example
 * ```ts
 * const waiter = new IdleWaiter(() => queued() === 0 && inflight() === 0);
 * // wherever work finishes: waiter.check();
 * await waiter.wait(10_000);
 * ```
 */
export class IdleWaiter {
  #wake: (() => void) | null = null;

  constructor(readonly idle: () => boolean) {}

  /** Work finished somewhere: wakes the waiter once everything is idle. */
  check(): void {
    if (this.#wake && this.idle()) this.#wake();
  }

  /** Resolves once idle, or after `deadlineMs`. */
  async wait(deadlineMs: number): Promise<void> {
    if (this.idle()) return;
    const done = new Promise<void>((resolve) => (this.#wake = resolve));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([done, deadline]);
    clearTimeout(timer);
    this.#wake = null;
  }
}
