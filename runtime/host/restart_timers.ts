/**
 * Timers that pump a guild again once its restart back-off is over (see
 * `worker_failures.ts`): one per guild, all cleared at close.
 *
 * @module
 */

/** One pending wake-up per guild; a second request while one waits is a no-op. */
export class RestartTimers<G> {
  #timers = new Map<G, ReturnType<typeof setTimeout>>();

  /**
   * Calls `fire` after `waitMs`, unless a timer for this guild already waits.
   *
   * @example
   * ```ts
   * const timers = new RestartTimers<string>();
   * timers.later("guild", 100, () => console.log("pump it"));
   * timers.clear();
   * ```
   */
  later(guild: G, waitMs: number, fire: () => void): void {
    if (this.#timers.has(guild)) return;
    this.#timers.set(
      guild,
      setTimeout(() => {
        this.#timers.delete(guild);
        fire();
      }, waitMs),
    );
  }

  /** Cancels every pending wake-up. */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
