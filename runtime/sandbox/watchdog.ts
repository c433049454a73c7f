/**
 * The sandbox process's watchdog decisions, as pure functions of what the
 * process observed (never of what a worker claims about its progress), so
 * they can be tested without spawning workers:
 *
 * - liveness: a worker that leaves a ping unanswered past its budget is
 *   stuck in a synchronous loop;
 * - CPU: a worker that keeps using CPU with no event in flight for longer
 *   than the event budget (a loop after `done`, synchronous or yielding),
 *   or whose CPU share over a sliding window is past `maxCpuShare`;
 * - pings go only where they are needed ({@linkcode needsPing}): an idle
 *   worker is left asleep unless the process's CPU shows that some worker
 *   it did not ping is busy;
 * - memory: the process's RSS limit and the culprit to stop.
 *
 * @module
 */

import type { SandboxLimits, ScriptEventName } from "./protocol/mod.ts";

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
  /** Extra ms the running event was granted (CPU bursts); absent or 0: none. */
  burstMs?: number;
}

/** The CPU time a worker's runtime reported, and what the watchdog derived from it. */
export interface CpuHealth {
  /** Reports `(performance.now(), thread CPU ms)`, oldest first, spanning the CPU window. */
  cpuSamples: CpuSample[];
  /** Start of the worker's current run of CPU use with no event in flight; null when none. */
  idleBusySince: number | null;
  /** CPU ms used in that run. */
  idleBusyCpuMs: number;
  /** CPU bursts granted (when, how many ms): each raises the share allowed over the window. */
  bursts?: { at: number; ms: number }[];
}

/** One CPU report: when it arrived and the thread's CPU time so far, ms. */
export interface CpuSample {
  at: number;
  cpuMs: number;
}

/** Why a worker is stopped for its CPU use, for the guild's log. */
export interface CpuVerdict {
  /** `idle`: busy with no event in flight; `share`: over its share of a core. */
  kind: "idle" | "share";
  detail: string;
}

/**
 * A worker using at least this share of a core with no event in flight is
 * busy on its own account (a loop after `done`); below it, background
 * timers of a well-behaved script.
 */
export const IDLE_BUSY_SHARE = 0.1;
/** Default CPU window, ms (`SandboxLimits.cpuWindowMs`). */
export const DEFAULT_CPU_WINDOW_MS = 30_000;
/** Default share of one core a worker may use over the window (`SandboxLimits.maxCpuShare`). */
export const DEFAULT_MAX_CPU_SHARE = 0.5;
/** An idle worker is still pinged this often, ms: a safety net, not the detection path. */
export const IDLE_PING_MS = 10_000;

const percent = (share: number) => `${Math.round(share * 100)}%`;
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/** A fresh CPU record for a new worker. */
export function newCpuHealth(): CpuHealth {
  return { cpuSamples: [], idleBusySince: null, idleBusyCpuMs: 0 };
}

/**
 * Records one CPU report and returns a verdict when the worker must stop:
 * it used at least {@linkcode IDLE_BUSY_SHARE} of a core, report after
 * report, with no event in flight (`idle`: none was in flight at any time
 * since the previous report) for longer than the event budget; or it used
 * more than `maxCpuShare` of a core over `cpuWindowMs`.
 *
 * @example
 * ```ts
 * const cpu = newCpuHealth();
 * const limits = { eventTimeoutMs: 1_000, loadTimeoutMs: 1_000 };
 * recordCpu(cpu, { at: 0, cpuMs: 0 }, true, limits); // null: a first report
 * recordCpu(cpu, { at: 600, cpuMs: 550 }, true, limits); // null: busy 600 ms so far
 * recordCpu(cpu, { at: 1_200, cpuMs: 1_100 }, true, limits)?.kind; // "idle"
 * ```
 */
export function recordCpu(
  cpu: CpuHealth,
  sample: CpuSample,
  idle: boolean,
  limits: SandboxLimits,
): CpuVerdict | null {
  const previous = cpu.cpuSamples.at(-1);
  if (previous && sample.at <= previous.at) return null;
  cpu.cpuSamples.push(sample);
  if (!previous) return null;
  // Keep one report at or before the window's start, as its baseline.
  const windowMs = limits.cpuWindowMs ?? DEFAULT_CPU_WINDOW_MS;
  while (cpu.cpuSamples.length > 2 && cpu.cpuSamples[1].at <= sample.at - windowMs) {
    cpu.cpuSamples.shift();
  }

  const used = Math.max(0, sample.cpuMs - previous.cpuMs);
  if (idle && used > 0 && used >= IDLE_BUSY_SHARE * (sample.at - previous.at)) {
    cpu.idleBusySince ??= previous.at;
    cpu.idleBusyCpuMs += used;
    const busyMs = sample.at - cpu.idleBusySince;
    if (busyMs > limits.eventTimeoutMs) {
      return {
        kind: "idle",
        detail: `the script kept running with no event to handle: it used ` +
          `${percent(cpu.idleBusyCpuMs / busyMs)} of a CPU core for ${seconds(busyMs)} ` +
          `after its handlers finished (limit ${limits.eventTimeoutMs} ms); a loop or timers ` +
          "that never stop?",
      };
    }
  } else {
    cpu.idleBusySince = null;
    cpu.idleBusyCpuMs = 0;
  }

  const maxShare = limits.maxCpuShare ?? DEFAULT_MAX_CPU_SHARE;
  if (maxShare >= 1) return null; // a thread cannot use more than one core
  const baseline = cpu.cpuSamples[0];
  const spanMs = sample.at - baseline.at;
  const windowUsed = sample.cpuMs - baseline.cpuMs;
  // A burst granted in the window (or just before its baseline) is CPU the guild paid for.
  cpu.bursts = cpu.bursts?.filter((burst) => burst.at > baseline.at - burst.ms);
  const burstMs = cpu.bursts?.reduce((sum, burst) => sum + burst.ms, 0) ?? 0;
  if (windowUsed > maxShare * Math.max(windowMs, spanMs) + burstMs) {
    return {
      kind: "share",
      detail: `the script used ${percent(windowUsed / spanMs)} of a CPU core for ` +
        `${seconds(spanMs)} (limit ${percent(maxShare)} over ${seconds(windowMs)})`,
    };
  }
  return null;
}

/** What the process saw of a worker's activity, for deciding whom to ping. */
export interface WorkerActivity {
  /** `performance.now()` when the worker last had an event in flight, finished one, or loaded. */
  activeAt: number;
  /** When it last answered a ping (or was created). */
  pongAt: number;
  /** CPU ms it reported using between its last two pongs (null: never reported). */
  lastCpuMs: number | null;
}

/** What decides whether a worker is pinged this round. */
export type PingState = WorkerActivity & Pick<WorkerHealth, "loading" | "pingSentAt">;

/**
 * Whether to ping a worker this round (`busy`: an event is in flight). Pings find a worker stuck in a
 * synchronous loop (it cannot answer) and carry its CPU and heap reports;
 * a worker that is asleep needs none. `everyone` is set when the process
 * cannot measure CPU (then every worker is pinged every round, as before) or
 * when its CPU shows that a worker not pinged is busy.
 *
 * @example
 * ```ts
 * const idle = { loading: false, pingSentAt: null, activeAt: 0, pongAt: 0, lastCpuMs: 0 };
 * needsPing(idle, false, 5_000, false); // false: asleep since its last pong
 * needsPing({ ...idle, lastCpuMs: 30 }, false, 5_000, false); // true: it was still using CPU
 * needsPing(idle, true, 5_000, false); // true: an event is in flight
 * needsPing(idle, false, 5_000, true); // true
 * needsPing({ ...idle, pongAt: 4_900 }, true, 5_000, false, 200); // false: it reported 100 ms ago
 * ```
 *
 * `reportedWithinMs`: a worker that reported (a pong, or finished events with
 * its CPU figure) this recently is skipped unless `everyone`: a busy worker
 * reports through its batches, and one that then hangs is pinged a round later.
 */
export function needsPing(
  worker: PingState,
  busy: boolean,
  now: number,
  everyone: boolean,
  reportedWithinMs = 0,
): boolean {
  if (worker.pingSentAt !== null) return false; // its answer is still awaited
  if (!everyone && now - worker.pongAt < reportedWithinMs) return false;
  // Active since its last report: one ping shows whether it went back to sleep (a pong
  // with no CPU) or keeps burning (pinged again). Not every round: each ping is a wake-up.
  return everyone || busy || worker.loading || worker.activeAt > worker.pongAt ||
    (worker.lastCpuMs ?? 1) > 0 || now - worker.pongAt >= IDLE_PING_MS;
}

/**
 * CPU a ping may cost a worker's thread (a wake-up) without showing in its
 * own report (its clock counts 10 ms ticks), ms: 500 idle workers pinged in
 * one round must not look like a busy one, or every sweep would trigger the
 * next.
 */
export const PING_COST_MS = 1;

/**
 * Whether CPU the process used in a round and no pinged worker accounted
 * for means some worker that was not pinged is busy: more than a tenth of
 * the round (clock ticks are 10 ms, so less is measurement noise), beyond
 * what the pings sent last round may have cost.
 *
 * @example
 * ```ts
 * unexplainedBusy(150, 200, 0); // true: someone burnt three quarters of a core
 * unexplainedBusy(10, 200, 0); // false
 * unexplainedBusy(150, 200, 500); // false: the wake-ups of last round's 500 pings
 * ```
 */
export function unexplainedBusy(
  unexplainedMs: number,
  intervalMs: number,
  pingsLastRound: number,
): boolean {
  return unexplainedMs > Math.max(10, 0.1 * intervalMs) + pingsLastRound * PING_COST_MS;
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
  return Math.max(limits.eventTimeoutMs, limits.cronTimeoutMs ?? 0) + (health.burstMs ?? 0);
}

/**
 * Records a CPU burst the host granted the worker's running event: `ms`
 * more of its budget, of silence, and of CPU over the share window.
 *
 * @example
 * ```ts
 * const worker = { ...newCpuHealth(), loading: false, pingSeq: 0, pingSentAt: null, reportedBytes: 0 };
 * grantBurst(worker, performance.now(), 5_000);
 * silenceLimit(worker, { eventTimeoutMs: 1_000, loadTimeoutMs: 1_000 }); // 6000
 * ```
 */
export function grantBurst(health: WorkerHealth & CpuHealth, now: number, ms: number): void {
  health.burstMs = (health.burstMs ?? 0) + ms;
  (health.bursts ??= []).push({ at: now, ms });
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
