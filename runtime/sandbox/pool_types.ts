/**
 * What a sandbox pool is configured with and reports to, shared by the pool's
 * parts (`pool.ts` re-exports them).
 *
 * @module
 */

import type { CpuPlacement } from "./cpu_affinity.ts";
import type { LinkTransport } from "./host_link.ts";
import type {
  EventsDoneMessage,
  SandboxLimits,
  WorkerExitReason,
  WorkerKey,
} from "./protocol/mod.ts";

export interface PoolOptions {
  /** Number of sandbox processes. */
  processes: number;
  /** The bundled worker runtime (see `worker_bundle.ts`). */
  workerRuntime: string;
  limits: SandboxLimits;
  /** V8 old-space limit of each sandbox process, in MiB. */
  heapMb: number;
  /**
   * Standby processes kept started (initialised, spare workers warm) and
   * swapped in the instant a sandbox process dies, so its guilds restart
   * without waiting for a new process (default 0; flora's default is 1,
   * `FLORA_SANDBOX_STANDBY`). Each costs an idle process's memory.
   */
  standby?: number;
  /**
   * Niceness of each sandbox process and its threads (unset: the host's; flora's config sets
   * 10, `FLORA_SANDBOX_NICE`). With hundreds of busy worker threads, the scheduler's per-thread
   * fairness would starve the host's one main thread (gateway, routing, Discord calls for every
   * guild): a higher niceness keeps the host first and gives the workers what is left.
   */
  nice?: number;
  /**
   * How the host and its sandbox processes talk (see `host_link.ts`): a Unix
   * socket by default where there are Unix sockets, else stdio.
   */
  transport?: LinkTransport;
  /**
   * Keep V8's memory reducer on in the sandbox processes (default off). It
   * garbage-collects each isolate a few times after it goes quiet: with
   * hundreds of workers that is about a core for half a minute after a burst
   * of cold starts, and a third of the throughput at 500 guilds, to save
   * about 2 MiB per resident worker (measured here; `docs/operations.md`).
   */
  memoryReducer?: boolean;
  /**
   * Cap on each isolate's young-generation semi-space, MiB (`--max-semi-space-size`);
   * absent: V8's own. Without the memory reducer, a worker's young generation stays as
   * large as its busiest moment made it; this bounds that (measured in `bench/memory_soak.ts`).
   */
  semiSpaceMb?: number;
  /**
   * V8 flags added after flora's own (`v8_flags.ts`), from `FLORA_SANDBOX_V8_FLAGS`; V8
   * takes the last of a flag given twice, so `--short-builtin-calls` undoes a default.
   */
  v8Flags?: readonly string[];
  /**
   * The CPUs every sandbox process runs on (`FLORA_SANDBOX_CPUS`, checked by
   * `placeSandboxes`); absent: wherever the kernel puts them.
   */
  cpus?: CpuPlacement;
  /**
   * Receives what the sandbox processes write to stderr (V8's out-of-memory report when one
   * aborts, above all). Default: this process's stderr. Tests that crash processes on purpose
   * collect it, and show it only when they fail.
   */
  stderr?: (text: string) => void;
  /**
   * Each process writes V8 CPU profiles (`--cpu-prof`) into `dir`, sampled every `intervalUs`:
   * its main thread's when it exits, each worker's when it stops. For profiling only
   * (`bench/event_cost.ts`).
   */
  cpuProfile?: { dir: string; intervalUs: number };
  /**
   * A ready sandbox process the host has not heard from for this long
   * (not even its heartbeat) is killed and replaced, ms (default
   * {@linkcode DEFAULT_LIVENESS_MS}; `FLORA_SANDBOX_LIVENESS_MS`).
   */
  livenessMs?: number;
  /**
   * Most guilds kept in sandbox processes of their own at once after
   * unexplained process deaths (each costs an idle process's memory, about
   * 60 MiB); suspects beyond it stay where they are.
   * @default 4
   */
  maxIsolated?: number;
  /**
   * RSS past which a sandbox process is recycled: a fresh one takes its place
   * and its guilds move over between events (`process_recycling.ts`), MiB
   * (0 or absent: never; flora's default is `FLORA_SANDBOX_RSS_CEILING_MB`).
   */
  rssCeilingMb?: number;
  /** Youngest a process may be recycled, ms (tests lower it; default 30 s). */
  recycleMinAgeMs?: number;
  /**
   * How long a guild moved apart stays in its own process, ms, counted from
   * the last unexplained death it was part of (`FLORA_SANDBOX_ISOLATION_MS`).
   * @default 600_000 (10 minutes)
   */
  isolationMs?: number;
  /**
   * Guilds that each run in a sandbox process of their own for the pool's
   * life, never beside another guild (`FLORA_DEDICATED_GUILDS`). Each costs a
   * process's memory (`docs/isolation.md`).
   * @default none
   */
  dedicatedGuilds?: readonly string[];
}

/** A script the pool will not start (it imports modules); the message says what to change. */
export class ScriptRefused extends Error {
  override name = "ScriptRefused";
}

/** What the pool reports to its owner. */
export interface PoolListener {
  /** A worker posted something (untrusted). */
  workerMessage(key: WorkerKey, message: unknown): void;
  /** The process stopped a worker (watchdog) or the worker died. */
  workerExit(key: WorkerKey, reason: WorkerExitReason | "process", detail: string): void;
  /** The process handed these events to the worker (they are no longer safe to deliver again). */
  eventsStarted?(key: WorkerKey, ids: number[]): void;
  /** The worker finished these events (what its process accepted of its report). */
  eventsDone?(key: WorkerKey, message: EventsDoneMessage): void;
  /**
   * These workers' process is being recycled: stop each once it has nothing
   * in flight (the guild's next worker starts in the fresh process). Asked
   * again while any remains; a worker already stopped is ignored.
   */
  moveWorkers?(keys: WorkerKey[]): void;
  /** A sandbox process passed its RSS ceiling (bytes) and is being recycled. */
  processRecycled?(index: number, rss: number): void;
}
