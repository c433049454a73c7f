/**
 * Crash-loop detection: a guild whose script is stopped (crash, timeout,
 * memory) too often in a sliding window is suspended instead of being
 * restarted forever at everyone else's expense.
 *
 * @module
 */

/** When a guild counts as crash-looping. */
export interface CrashLoopPolicy {
  /** Failures within `windowMs` that suspend the guild. */
  maxFailures: number;
  /** Sliding window, ms. */
  windowMs: number;
}

/** Defaults: 5 failures within 5 minutes. */
export const DEFAULT_CRASH_LOOP_POLICY: CrashLoopPolicy = { maxFailures: 5, windowMs: 5 * 60_000 };

/**
 * Counts failures per guild (per deployment: a redeploy starts afresh).
 *
 * @example
 * ```ts
 * const detector = new CrashLoopDetector({ maxFailures: 2, windowMs: 60_000 });
 * detector.failure("guild", "d1", 0); // null
 * detector.failure("guild", "d1", 10); // "stopped 2 times within 60 s"
 * ```
 */
export class CrashLoopDetector {
  #failures = new Map<string, number[]>();

  constructor(
    readonly policy: CrashLoopPolicy = DEFAULT_CRASH_LOOP_POLICY,
    readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(policy.maxFailures) || policy.maxFailures < 1) {
      throw new RangeError("crash-loop maxFailures must be a whole number ≥ 1");
    }
  }

  /**
   * Records one failure of a guild's deployment. Returns the suspension
   * reason when this failure makes it a crash loop, else null.
   */
  failure(guildId: string, deploymentId: string, at = this.now()): string | null {
    const id = `${guildId}:${deploymentId}`;
    const cutoff = at - this.policy.windowMs;
    const times = (this.#failures.get(id) ?? []).filter((t) => t > cutoff);
    times.push(at);
    this.#failures.set(id, times);
    if (times.length < this.policy.maxFailures) return null;
    this.#failures.delete(id);
    return `stopped ${times.length} times within ${Math.round(this.policy.windowMs / 1000)} s`;
  }

  /** Forgets a guild's failures (e.g. after a redeploy). */
  reset(guildId: string): void {
    for (const id of this.#failures.keys()) {
      if (id.startsWith(`${guildId}:`)) this.#failures.delete(id);
    }
  }
}
