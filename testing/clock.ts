/**
 * Virtual time for a script's cron jobs: moving it forward fires each run
 * that falls due on the way, in order, through flora's own scheduler.
 *
 * @module
 */

import { nextRun } from "../runtime/host/cron.ts";

/** Virtual time for cron jobs. */
export interface TestClock {
  /** The current virtual time. */
  now(): Date;
  /**
   * Moves time forward by `ms` (or "90s", "15m", "2h", "1d"), firing each
   * cron run that falls due on the way, in order, through flora's scheduler.
   * Resolves with the runs it fired, oldest first.
   */
  advance(by: number | string): Promise<{ name: string; at: Date }[]>;
  /** Moves time forward to `time` (never back), firing what falls due on the way. */
  advanceTo(time: Date): Promise<{ name: string; at: Date }[]>;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds in `90s`, `15m`, `2h`, `1d` or a number.
 *
 * @example
 * ```ts
 * parseDuration("15m"); // 900_000
 * ```
 */
export function parseDuration(by: number | string): number {
  if (typeof by === "number") {
    if (!Number.isFinite(by) || by < 0) throw new RangeError("a duration must be ≥ 0 ms");
    return by;
  }
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(by.trim());
  if (!match) throw new RangeError(`"${by}" is not a duration like 90s, 15m, 2h or 1d`);
  return Number(match[1]) * UNITS[match[2]];
}

/** The public side of flora's cron scheduler the clock drives (`CronScheduler`). */
export interface ClockScheduler {
  /** Fires every job due at `now`; resolves with what it fired. */
  tick(now: Date): Promise<{ guildId: string; name: string }[]>;
  /** The distinct schedules of a guild's active jobs. */
  schedules(guildId: string): Promise<string[]>;
}

/** A {@linkcode TestClock} over one guild's jobs, starting at the real time. */
export class VirtualClock implements TestClock {
  #now: number;

  /**
   * @param onAdvance called as time starts to move (the test acted: new bot messages count).
   */
  private constructor(
    readonly scheduler: ClockScheduler,
    readonly guildId: string,
    readonly onAdvance: () => void,
    now: number,
  ) {
    this.#now = now;
  }

  /**
   * A clock at the real time now; the scheduler learns its jobs' first runs from it.
   *
   * @example
   * ```ts
   * const clock = await VirtualClock.start(flora.cron, guildId, () => {});
   * await clock.advance("1h");
   * ```
   */
  static async start(
    scheduler: ClockScheduler,
    guildId: string,
    onAdvance: () => void,
  ): Promise<VirtualClock> {
    const now = Date.now();
    await scheduler.tick(new Date(now));
    return new VirtualClock(scheduler, guildId, onAdvance, now);
  }

  now(): Date {
    return new Date(this.#now);
  }

  advance(by: number | string): Promise<{ name: string; at: Date }[]> {
    return this.advanceTo(new Date(this.#now + parseDuration(by)));
  }

  async advanceTo(time: Date): Promise<{ name: string; at: Date }[]> {
    const target = time.getTime();
    if (!Number.isFinite(target)) throw new RangeError("advanceTo needs a valid date");
    if (target < this.#now) {
      throw new RangeError(
        `time only moves forward: ${time.toISOString()} is before ${
          new Date(this.#now).toISOString()
        }`,
      );
    }
    const fired: { name: string; at: Date }[] = [];
    const schedules = await this.scheduler.schedules(this.guildId);
    this.onAdvance();
    // Visit each instant a job falls due on the way (not every minute: years stay fast).
    let t = this.#now;
    while (schedules.length > 0) {
      const next = Math.min(
        ...schedules.map((s) => nextRun(s, new Date(t))?.getTime() ?? Infinity),
      );
      if (next > target) break;
      for (const run of await this.scheduler.tick(new Date(next))) {
        if (run.guildId === this.guildId) fired.push({ name: run.name, at: new Date(next) });
      }
      t = next;
    }
    this.#now = target;
    return fired;
  }
}
