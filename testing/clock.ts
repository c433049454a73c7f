/**
 * Virtual time for a script's cron jobs: moving it forward fires each run
 * that falls due on the way, in order, through flora's own scheduler.
 *
 * @module
 */

import { nextRun } from "../runtime/host/cron.ts";
import type { TaskInfo } from "../runtime/sandbox/protocol/mod.ts";
import { parseDuration } from "../sdk/duration.ts";

export { parseDuration };

/** Virtual time for cron jobs and tasks. */
export interface TestClock {
  /** The current virtual time. */
  now(): Date;
  /**
   * Moves time forward by `ms` (or "90s", "15m", "2h", "1d"), firing each
   * cron run and task that falls due on the way, in order, through flora's
   * schedulers. Resolves with what it fired, oldest first (tasks carry `task`).
   */
  advance(by: number | string): Promise<ClockRun[]>;
  /** Moves time forward to `time` (never back), firing what falls due on the way. */
  advanceTo(time: Date): Promise<ClockRun[]>;
}

/** A cron run or a task the clock fired. */
export interface ClockRun {
  /** The cron job's or the task's name. */
  name: string;
  at: Date;
  /** Set for a task. */
  task?: TaskInfo;
}

/** The public side of flora's task scheduler the clock drives (`TaskScheduler`). */
export interface ClockTasks {
  /** The clock tasks are scheduled by; the virtual clock sets it to itself. */
  now: () => number;
  tick(now: Date): Promise<{ guildId: string; task: TaskInfo }[]>;
  nextDue(guildId: string): Promise<number | null>;
  get(guildId: string, ref: { id: string }): Promise<TaskInfo | null>;
}

/** Longest (real) wait for a fired task's handler to finish before time moves on, ms. */
const TASK_SETTLE_MS = 2_000;

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
   * @param tasks the task scheduler, whose clock this becomes and whose due tasks it fires.
   * @param idle whether no event is queued or running: fired tasks' handlers have finished.
   */
  private constructor(
    readonly scheduler: ClockScheduler,
    readonly guildId: string,
    readonly onAdvance: () => void,
    now: number,
    readonly tasks?: ClockTasks,
    readonly idle?: () => boolean,
  ) {
    this.#now = now;
    if (tasks) tasks.now = () => this.#now;
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
    tasks?: ClockTasks,
    idle?: () => boolean,
  ): Promise<VirtualClock> {
    const now = Date.now();
    await scheduler.tick(new Date(now));
    return new VirtualClock(scheduler, guildId, onAdvance, now, tasks, idle);
  }

  now(): Date {
    return new Date(this.#now);
  }

  advance(by: number | string): Promise<ClockRun[]> {
    return this.advanceTo(new Date(this.#now + parseDuration(by)));
  }

  async advanceTo(time: Date): Promise<ClockRun[]> {
    const target = time.getTime();
    if (!Number.isFinite(target)) throw new RangeError("advanceTo needs a valid date");
    if (target < this.#now) {
      throw new RangeError(
        `time only moves forward: ${time.toISOString()} is before ${
          new Date(this.#now).toISOString()
        }`,
      );
    }
    const fired: ClockRun[] = [];
    const schedules = await this.scheduler.schedules(this.guildId);
    this.onAdvance();
    // Visit each instant a job or a task falls due on the way (not every minute: years stay fast).
    // A due task the scheduler did not deliver (no active deployment) waits for time to move.
    let undeliveredAt = -Infinity;
    while (true) {
      const t = this.#now;
      const nextCron = Math.min(
        ...schedules.map((s) => nextRun(s, new Date(t))?.getTime() ?? Infinity),
      );
      let nextTask = Math.max(t, await this.tasks?.nextDue(this.guildId) ?? Infinity);
      if (nextTask <= undeliveredAt) nextTask = Infinity;
      const next = Math.min(nextCron, nextTask);
      if (next > target) break;
      this.#now = next;
      if (next === nextCron) {
        for (const run of await this.scheduler.tick(new Date(next))) {
          if (run.guildId === this.guildId) fired.push({ name: run.name, at: new Date(next) });
        }
      }
      if (next === nextTask && this.tasks) {
        const delivered = (await this.tasks.tick(new Date(next)))
          .filter((run) => run.guildId === this.guildId);
        if (delivered.length === 0) undeliveredAt = next;
        for (const { task } of delivered) fired.push({ name: task.name, at: new Date(next), task });
        await this.#settle(delivered.map((run) => run.task));
      }
    }
    this.#now = target;
    return fired;
  }

  /**
   * Waits (in real time, briefly) for fired tasks' handlers to finish, so
   * virtual time does not run past their lease while they still run.
   */
  async #settle(fired: TaskInfo[]): Promise<void> {
    const deadline = Date.now() + TASK_SETTLE_MS;
    for (const task of fired) {
      while (Date.now() < deadline) {
        // Finished (and confirmed), or its handler ended without confirming (threw, no handler).
        if (this.idle?.()) break;
        const pending = await this.tasks!.get(this.guildId, { id: task.id });
        if (pending === null || pending.attempt !== task.attempt) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}
