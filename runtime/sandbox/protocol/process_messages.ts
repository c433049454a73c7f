/**
 * Messages between the host and a sandbox process (trusted: both ends are
 * flora's code), and the budgets the host hands a process for its workers.
 *
 * @module
 */

import type { EventBatchMessage, LoadMessage, ResultMessage } from "./worker_messages.ts";
import type { PROTOCOL_VERSION } from "./version.ts";
import type { EventsDoneMessage } from "./events_done.ts";
import type { WorkerKey } from "./worker_key.ts";

export { type WorkerKey, workerKeyId } from "./worker_key.ts";

/** Budgets the host imposes on a worker; the process enforces them from outside the worker. */
export interface SandboxLimits {
  /** Longest a single event handler may run, in ms. */
  eventTimeoutMs: number;
  /** Longest the script's top-level evaluation may take, in ms. */
  loadTimeoutMs: number;
  /** Longest one `cron` run may take, in ms (default: `eventTimeoutMs`). */
  cronTimeoutMs?: number;
  /**
   * Heap a worker may report before it is stopped, MiB (default: none). An
   * early signal only (the worker reports it); the process's V8 heap limit is
   * the real guarantee.
   */
  workerHeapMb?: number;
  /** How often the process checks each worker is responsive, ms (default 200). */
  pingIntervalMs?: number;
  /** Resident memory a whole sandbox process may reach before it sheds a worker, MiB. */
  processMemoryMb?: number;
  /** The sliding window over which a worker's CPU share is measured, ms (default 30,000). */
  cpuWindowMs?: number;
  /**
   * Share of one CPU core (0–1) a worker may use over `cpuWindowMs` before it
   * is stopped (default 0.5; 1: no limit).
   */
  maxCpuShare?: number;
}

/** Sent once after the process starts: the pre-bundled worker runtime (SDK included). */
export interface InitMessage {
  v: typeof PROTOCOL_VERSION;
  type: "init";
  workerRuntime: string;
  limits: SandboxLimits;
}

/** Start a worker for a deployment and load its script. */
export interface SpawnMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "spawn";
  load: LoadMessage;
}

/** Relay a message to a worker. */
export interface ToWorkerMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "toWorker";
  message: EventBatchMessage | ResultMessage;
}

/** Stop a worker. */
export interface TerminateMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "terminate";
}

/** The worker's running event was granted a CPU burst: its budget grows by `ms`. */
export interface ExtendBudgetMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "extendBudget";
  ms: number;
}

export type HostToProcess =
  | InitMessage
  | SpawnMessage
  | ToWorkerMessage
  | TerminateMessage
  | ExtendBudgetMessage;

/** The process is up and initialised. */
export interface ProcessReadyMessage {
  v: typeof PROTOCOL_VERSION;
  type: "ready";
}

/** Something a worker posted, tagged by the process with the worker's identity. */
export interface FromWorkerMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "fromWorker";
  /** Untrusted: pass through {@linkcode parseWorkerMessage}. */
  message: unknown;
}

/** Why the process stopped a worker on its own. */
export type WorkerExitReason =
  | "timeout"
  | "error"
  | "unresponsive"
  | "memory"
  /** It kept using CPU with no event in flight, or more than its share of a core. */
  | "cpu"
  /** The worker's process aborted while this worker was silent: most likely its doing. */
  | "abort";

/** A worker was stopped by the process (watchdog) or died. */
export interface WorkerExitMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "workerExit";
  reason: WorkerExitReason;
  detail: string;
}

/**
 * The process handed events to its worker (events wait in the process until
 * the worker's previous batch is done). Events the host never saw start are
 * safe to deliver again if the worker is lost; started ones are not.
 */
export interface EventsStartedMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "eventsStarted";
  ids: number[];
}

/**
 * A worker has not answered pings for a while (sent each watchdog round
 * while it stays silent). If the process then aborts (V8 heap exhaustion
 * in a tight loop), the host blames this worker, not its neighbours.
 */
export interface WorkerSilentMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "workerSilent";
  silentMs: number;
}

/**
 * How often a sandbox process says it is alive, ms: the host kills and
 * replaces one it has not heard from in a while (stopped, deadlocked,
 * swapping), whatever the cause (`pool.ts`).
 */
export const PROCESS_HEARTBEAT_MS = 250;

/** A sandbox process's memory, as its heartbeat reports it (bytes). */
export interface ProcessMemory {
  /** The process's resident set. */
  rss: number;
  /** Its own isolate's heap in use (the relay, not the workers), garbage not yet collected included. */
  heapUsed: number;
  /** The heap V8 keeps for its own isolate (in use, garbage and free space). */
  heapTotal: number;
  /** Its workers' heaps in use, as their latest pongs said (stale for workers not pinged). */
  workersHeapUsed: number;
  /** The heaps V8 keeps for its workers, as their latest pongs said. */
  workersHeapTotal: number;
}

/**
 * The memory figures of a heartbeat, or null when they are missing or not
 * finite non-negative numbers (the host then keeps no figure rather than a wrong one).
 *
 * @example
 * ```ts
 * processMemoryOf({ rss: 9, heapUsed: 1, heapTotal: 2, workersHeapUsed: 3, workersHeapTotal: 4 });
 * processMemoryOf({ rss: "1" }); // null
 * ```
 */
export function processMemoryOf(raw: unknown): ProcessMemory | null {
  if (typeof raw !== "object" || raw === null) return null;
  const { rss, heapUsed, heapTotal, workersHeapUsed, workersHeapTotal } = raw as Record<
    string,
    unknown
  >;
  const figures = { rss, heapUsed, heapTotal, workersHeapUsed, workersHeapTotal };
  const valid = (n: unknown) => typeof n === "number" && Number.isFinite(n) && n >= 0;
  return Object.values(figures).every(valid) ? figures as ProcessMemory : null;
}

/** Sent every {@linkcode PROCESS_HEARTBEAT_MS} from the process's own event loop. */
export interface ProcessAliveMessage {
  v: typeof PROTOCOL_VERSION;
  type: "alive";
  memory?: ProcessMemory;
}

export type ProcessToHost =
  | ProcessAliveMessage
  | WorkerSilentMessage
  | ProcessReadyMessage
  | FromWorkerMessage
  | WorkerExitMessage
  | EventsStartedMessage
  | EventsDoneMessage;
