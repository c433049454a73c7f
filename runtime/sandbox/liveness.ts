/**
 * Whether the host has heard from each sandbox process lately: a process
 * that is stopped (SIGSTOP), deadlocked or swapping sends nothing, not even
 * the heartbeat its event loop sends every `PROCESS_HEARTBEAT_MS`, and is
 * then killed and replaced by the pool (its guilds' unstarted events go to
 * the new process). Pure bookkeeping: the pool decides what to do.
 *
 * @module
 */

/** What the judgement reads of a sandbox process. */
export interface HeardFrom {
  /** It finished starting (a process still starting is not judged). */
  isReady: boolean;
  /** `performance.now()` when the host last read a message from it. */
  lastHeardAt: number;
}

/** A process silent for too long. */
export interface SilentProcess<T> {
  process: T;
  silentMs: number;
}

/** The outcome of one liveness check. */
export interface LivenessCheck<T> {
  /**
   * The check itself ran late (the host's own thread was stalled): the
   * silence it measured may be the host's, so nobody is judged and the
   * caller restarts everyone's clock.
   */
  late: boolean;
  silent: SilentProcess<T>[];
}

/** @default 5000: a process silent this long is killed, ms (`FLORA_SANDBOX_LIVENESS_MS`). */
export const DEFAULT_LIVENESS_MS = 5_000;

/**
 * Judges every ready process: silent for more than `silenceMs` means stuck.
 * `previousCheckAt` is when the previous check ran (null: first check);
 * a check that comes more than half of `silenceMs` later than
 * `checkEveryMs` judges nobody.
 *
 * @example
 * ```ts
 * const processes = [{ isReady: true, lastHeardAt: 0 }, { isReady: true, lastHeardAt: 5_500 }];
 * checkLiveness(processes, 6_000, 5_000, { silenceMs: 5_000, checkEveryMs: 1_000 }).silent;
 * // [{ process: processes[0], silentMs: 6000 }]
 * checkLiveness(processes, 6_000, 1_000, { silenceMs: 5_000, checkEveryMs: 1_000 }).late; // true
 * ```
 */
export function checkLiveness<T extends HeardFrom>(
  processes: T[],
  now: number,
  previousCheckAt: number | null,
  options: { silenceMs: number; checkEveryMs: number },
): LivenessCheck<T> {
  if (!(options.silenceMs > 0) || !(options.checkEveryMs > 0)) {
    throw new RangeError(
      `liveness needs positive silenceMs and checkEveryMs (got ${options.silenceMs}, ${options.checkEveryMs})`,
    );
  }
  const late = previousCheckAt !== null &&
    now - previousCheckAt > options.checkEveryMs + options.silenceMs / 2;
  if (late) return { late, silent: [] };
  const silent: SilentProcess<T>[] = [];
  for (const process of processes) {
    const silentMs = now - process.lastHeardAt;
    if (process.isReady && silentMs > options.silenceMs) {
      silent.push({ process, silentMs: Math.round(silentMs) });
    }
  }
  return { late, silent };
}
