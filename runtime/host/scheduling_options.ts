/**
 * How the sandbox manager schedules workers, with every default in one place.
 *
 * @module
 */

import { DEFAULT_RESTART_BACKOFF, type RestartBackoffPolicy } from "./guard/restart_backoff.ts";

/** How the manager schedules workers; every field has a default. */
export interface SchedulingOptions {
  /**
   * Resident workers before the least recently used idle ones are evicted.
   * @default {500}
   */
  maxResident: number;
  /**
   * A worker with nothing to do for this long is evicted, ms.
   * @default {300_000} (5 minutes)
   */
  idleMs: number;
  /**
   * Droppable events a guild may have waiting before new ones are dropped.
   * @default {2_000}
   */
  maxBacklog: number;
  /**
   * Events one worker may have in flight at once: its largest batch.
   * @default {64}
   */
  maxInflightPerGuild: number;
  /**
   * The most a guild's chat events may wait for more while its sandbox process is backlogged
   * (they wait about as long as its batches take to start there, and not at all while it keeps
   * up), so one wake-up of its worker runs more of them, ms; 0 sends them at once
   * (`batch_hold.ts`).
   * @default {1_000}
   */
  batchHoldMs: number;
  /**
   * Events one sandbox process may have in flight at once.
   * @default {16_384}
   */
  maxInflightPerProcess: number;
  /**
   * How long a script gets to answer an interaction before the host defers it, ms.
   * @default {2_000}
   */
  interactionAckMs: number;
  /**
   * How long a replaced worker may finish its in-flight events before it is stopped, ms.
   * @default {10_000}
   */
  retireMs: number;
  /**
   * Cold starts one sandbox process runs at once; more wait their turn.
   * @default {4}
   */
  maxConcurrentStarts: number;
  /**
   * How long a guild whose script keeps being stopped waits before its next start.
   * @default {DEFAULT_RESTART_BACKOFF} (2 stops a minute free, then 1 s doubling to 30 s)
   */
  restartBackoff: RestartBackoffPolicy;
}

/** The defaults of {@linkcode SchedulingOptions}. */
export const SCHEDULING_DEFAULTS: Readonly<SchedulingOptions> = {
  maxResident: 500,
  idleMs: 5 * 60_000,
  maxBacklog: 2_000,
  maxInflightPerGuild: 64,
  batchHoldMs: 1_000,
  maxInflightPerProcess: 16_384,
  interactionAckMs: 2_000,
  retireMs: 10_000,
  maxConcurrentStarts: 4,
  restartBackoff: DEFAULT_RESTART_BACKOFF,
};

/**
 * The given options over the defaults; an option given as `undefined` keeps its default.
 *
 * @example
 * ```ts
 * schedulingOptions({ maxResident: 10, idleMs: undefined }).idleMs; // 300_000
 * ```
 */
export function schedulingOptions(options: Partial<SchedulingOptions> = {}): SchedulingOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...SCHEDULING_DEFAULTS, ...given };
}
