/**
 * A periodic check that never overlaps itself: each tick waits for the one
 * before, whether the timer or a test started it.
 *
 * @module
 */

/**
 * Runs `check` every interval once started, one at a time.
 *
 * @example
 * ```ts
 * const ticker = new SerialTicker((now) => fireDue(now), () => Date.now());
 * ticker.start(1_000);
 * await ticker.tick(new Date(Date.now() + 60_000)); // a test's later instant
 * await ticker.close();
 * ```
 */
export class SerialTicker<T> {
  readonly #check: (now: Date) => Promise<T>;
  readonly #clock: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticking: Promise<void> = Promise.resolve();

  constructor(check: (now: Date) => Promise<T>, clock: () => number) {
    this.#check = check;
    this.#clock = clock;
  }

  /** Starts ticking every `intervalMs` with the clock's time. */
  start(intervalMs: number): void {
    this.#timer ??= setInterval(() => {
      this.tick(new Date(this.#clock())).catch(() => {});
    }, intervalMs);
  }

  /** Stops the timer and waits for a running check. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  /** Runs the check at `now` after any running one; resolves with its result. */
  tick(now: Date): Promise<T> {
    const run = this.#ticking.then(() => this.#check(now));
    this.#ticking = run.then(() => {}, () => {});
    return run;
  }
}
