/**
 * How a sandbox process tells the host that a worker finished events: one
 * `eventsDone` line per report, built by the process from what it accepted of
 * the worker's `done` (only the events in flight, in the order they were
 * handed over), in flat arrays of small integers.
 *
 * The process used to relay the worker's own `done` (an object per event with
 * a wall-clock time as a double), which the host parsed as untrusted: a
 * 13-event report took ≈ 6.5 µs to `JSON.parse` on the host, then an object
 * per event again to check it, against ≈ 1.1 µs for the same report as flat
 * integer arrays (micro-benchmark, best of seven runs, load 10). The host
 * parses one report per batch it sends a worker.
 *
 * @module
 */

import type { WorkerKey } from "./worker_key.ts";
import { PROTOCOL_VERSION } from "./version.ts";

/**
 * Events a worker finished, in the order they ran (a batch's, or its first
 * events when the worker reports progress before the batch ends).
 */
export interface EventsDoneMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "eventsDone";
  /** The finished events' ids, in the order they ran. */
  ids: number[];
  /**
   * When the first handler that reported its start started, wall-clock ms
   * (`performance.timeOrigin + performance.now()` in the worker); absent when none did.
   */
  startedAt?: number;
  /** Each handler's start, whole µs after `startedAt`; null where the worker gave none. */
  startedUs?: (number | null)[];
  /** How many of the handlers threw. */
  errors: number;
  /** The worker thread's CPU time so far, ms, when its report carried one (the guild's usage). */
  cpuMs?: number;
}

/** What a worker says of one finished event (untrusted: only the shape below is read). */
export interface ReportedFinish {
  startedAt?: unknown;
  error?: unknown;
}

/**
 * The report of finished events `ids` (the process's own, in flight) from the
 * worker's entries for them, in the same order: a start that is not a finite
 * number counts as none, an `error` of any kind as a handler that threw.
 *
 * @example
 * ```ts
 * const key = { guildId: "1", deploymentId: "d1" };
 * eventsDone(key, [4, 5], [{ startedAt: 1000.5 }, { startedAt: 1002, error: "boom" }], 12);
 * // { v, type: "eventsDone", guildId: "1", deploymentId: "d1", ids: [4, 5],
 * //   startedAt: 1000.5, startedUs: [0, 1500], errors: 1, cpuMs: 12 }
 * ```
 */
export function eventsDone(
  key: WorkerKey,
  ids: number[],
  reported: readonly ReportedFinish[],
  cpuMs: number | undefined,
): EventsDoneMessage {
  let base: number | undefined;
  let startedUs: (number | null)[] | undefined;
  let errors = 0;
  for (let i = 0; i < reported.length; i++) {
    const { startedAt, error } = reported[i];
    if (error !== undefined) errors++;
    let us: number | null = null;
    if (typeof startedAt === "number" && Number.isFinite(startedAt)) {
      base ??= startedAt;
      us = Math.round((startedAt - base) * 1000);
      if (!Number.isFinite(us)) us = null;
    }
    if (us !== null) startedUs ??= new Array<number | null>(i).fill(null);
    startedUs?.push(us);
  }
  const message: EventsDoneMessage = {
    v: PROTOCOL_VERSION,
    type: "eventsDone",
    guildId: key.guildId,
    deploymentId: key.deploymentId,
    ids,
    errors,
  };
  if (base !== undefined) {
    message.startedAt = base;
    message.startedUs = startedUs;
  }
  if (cpuMs !== undefined) message.cpuMs = cpuMs;
  return message;
}

/**
 * When the `i`th finished event's handler started (wall-clock ms), if the worker said.
 *
 * @example
 * ```ts
 * const done = { startedAt: 1000.5, startedUs: [0, 1500] } as EventsDoneMessage;
 * startedAtOf(done, 1); // 1002
 * ```
 */
export function startedAtOf(message: EventsDoneMessage, i: number): number | undefined {
  const us = message.startedUs?.[i];
  return us === undefined || us === null ? undefined : message.startedAt! + us / 1000;
}
