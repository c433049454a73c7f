/**
 * The sandbox process's watchdog decisions, as pure functions of what the
 * process observed (never of what a worker claims about its progress), so
 * they can be tested without spawning workers.
 *
 * @module
 */

import type { SandboxLimits, ScriptEventName } from "./protocol.ts";

const MiB = 1024 * 1024;

/** What the process tracks about a worker's health. */
export interface WorkerHealth {
  /** The script is still evaluating its top level. */
  loading: boolean;
  /** Sequence of the last ping sent. */
  pingSeq: number;
  /** `performance.now()` when the oldest unanswered ping was sent; null when answered. */
  pingSentAt: number | null;
  /** Heap + external bytes the worker reported on its last pong (forgeable). */
  reportedBytes: number;
}

/** Why a worker counts as unresponsive. */
export interface LivenessVerdict {
  silentMs: number;
  limitMs: number;
}

/**
 * The budget of one event: a cron run has its own.
 *
 * @example
 * ```ts
 * budgetFor("cron", { eventTimeoutMs: 1_000, loadTimeoutMs: 1_000, cronTimeoutMs: 5_000 }); // 5000
 * ```
 */
export function budgetFor(name: ScriptEventName, limits: SandboxLimits): number {
  return name === "cron" ? limits.cronTimeoutMs ?? limits.eventTimeoutMs : limits.eventTimeoutMs;
}

/** The longest a worker may leave a ping unanswered: its thread is busy without a break. */
export function silenceLimit(health: WorkerHealth, limits: SandboxLimits): number {
  if (health.loading) return limits.loadTimeoutMs;
  return Math.max(limits.eventTimeoutMs, limits.cronTimeoutMs ?? 0);
}

/**
 * A verdict when the worker has not answered a ping for longer than its
 * limit, else null.
 *
 * @example
 * ```ts
 * const health = { loading: false, pingSeq: 3, pingSentAt: 0, reportedBytes: 0 };
 * unresponsive(health, 1_500, { eventTimeoutMs: 1_000, loadTimeoutMs: 1_000 }); // { silentMs: 1500, limitMs: 1000 }
 * ```
 */
export function unresponsive(
  health: WorkerHealth,
  now: number,
  limits: SandboxLimits,
): LivenessVerdict | null {
  if (health.pingSentAt === null) return null;
  const silentMs = Math.round(now - health.pingSentAt);
  const limitMs = silenceLimit(health, limits);
  return silentMs > limitMs ? { silentMs, limitMs } : null;
}

/** Whether the process's resident memory is past its limit. */
export function overMemory(rssBytes: number, limits: SandboxLimits): boolean {
  return limits.processMemoryMb !== undefined && rssBytes > limits.processMemoryMb * MiB;
}

/**
 * The worker to stop when the process is over its memory limit: one that has
 * been silent for more than two ping intervals (allocating in a loop
 * without yielding), else the one reporting the most memory; null when no
 * worker stands out (the process then exits and is restarted).
 */
export function pickMemoryCulprit<W extends WorkerHealth>(
  workers: W[],
  now: number,
  limits: SandboxLimits,
): W | null {
  const interval = limits.pingIntervalMs ?? 200;
  const silent = workers.filter((w) => w.pingSentAt !== null && now - w.pingSentAt > 2 * interval);
  if (silent.length === 1) return silent[0];
  if (silent.length > 1) return null;
  let biggest: W | null = null;
  for (const w of workers) {
    if (w.reportedBytes > 0 && (!biggest || w.reportedBytes > biggest.reportedBytes)) biggest = w;
  }
  return biggest;
}
