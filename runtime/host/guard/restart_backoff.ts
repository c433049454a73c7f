/**
 * Restart back-off: a guild whose worker keeps being stopped (memory,
 * timeout, abort…) waits longer and longer before its next cold start, so a
 * sustained attack does not cold-start on every message and take its
 * process's CPU and link from its neighbours. Stops its neighbours caused
 * (reason `process`) are never counted; a redeploy starts afresh.
 *
 * @module
 */

/** When and how long a guild waits before its worker starts again. */
export interface RestartBackoffPolicy {
  /** Stops within `windowMs` that restart at once; each one after that waits. */
  freeStops: number;
  /** Wait after the first stop past `freeStops`, ms; doubles with each further stop. */
  baseMs: number;
  /** Longest wait, ms. */
  maxMs: number;
  /** Stops older than this are forgotten, ms. */
  windowMs: number;
}

/** Defaults: 2 stops a minute restart at once, then 1 s, 2 s, 4 s… up to 30 s. */
export const DEFAULT_RESTART_BACKOFF: RestartBackoffPolicy = {
  freeStops: 2,
  baseMs: 1_000,
  maxMs: 30_000,
  windowMs: 60_000,
};

/** Stops counted for one guild's deployment, and when it may start again. */
interface GuildStops {
  deploymentId: string;
  at: number[];
  until: number;
}

/**
 * Counts each guild's stops and says how long its next start waits.
 *
 * @example
 * ```ts
 * const backoff = new RestartBackoff({ freeStops: 1, baseMs: 1_000, maxMs: 8_000, windowMs: 60_000 });
 * backoff.stopped("guild", "d1", 0); // 0: restarts at once
 * backoff.stopped("guild", "d1", 10); // 1000
 * backoff.wait("guild", 500); // 510 ms left
 * ```
 */
export class RestartBackoff {
  #stops = new Map<string, GuildStops>();

  constructor(readonly policy: RestartBackoffPolicy = DEFAULT_RESTART_BACKOFF) {
    if (!Number.isInteger(policy.freeStops) || policy.freeStops < 0) {
      throw new RangeError("restart back-off freeStops must be a whole number ≥ 0");
    }
  }

  /** Records a stop the guild's own script caused; returns how long its next start waits, ms. */
  stopped(guildId: string, deploymentId: string, now: number): number {
    const { freeStops, baseMs, maxMs, windowMs } = this.policy;
    let stops = this.#stops.get(guildId);
    if (!stops || stops.deploymentId !== deploymentId) {
      stops = { deploymentId, at: [], until: 0 };
      this.#stops.set(guildId, stops);
    }
    stops.at = stops.at.filter((t) => t > now - windowMs);
    stops.at.push(now);
    const over = stops.at.length - freeStops;
    const delay = over > 0 ? Math.min(maxMs, baseMs * 2 ** (over - 1)) : 0;
    stops.until = now + delay;
    return delay;
  }

  /** How long the guild's next start must still wait, ms (0: it may start now). */
  wait(guildId: string, now: number): number {
    const stops = this.#stops.get(guildId);
    if (!stops) return 0;
    if (stops.at.every((t) => t <= now - this.policy.windowMs) && stops.until <= now) {
      this.#stops.delete(guildId); // forgotten: nothing to keep for a quiet guild
      return 0;
    }
    return Math.max(0, stops.until - now);
  }

  /** Forgets a guild (deployed again, or no longer served). */
  forget(guildId: string): void {
    this.#stops.delete(guildId);
  }
}
