/**
 * The runtime's settings: every field `startFlora` reads, documented once,
 * and the default of each setting that has one (`CONFIG_DEFAULTS`).
 *
 * @module
 */

import type { CpuPlacement } from "./sandbox/cpu_affinity.ts";
import { DEFAULT_LIVENESS_MS } from "./sandbox/liveness.ts";
import { ISOLATION_DEFAULTS } from "./sandbox/isolated_guilds.ts";
import { type StorageConfig } from "../storage/config.ts";
import { DEFAULT_EMULATOR_PORT } from "../emulator/defaults.ts";
import { type FloraRole } from "./cluster/roles.ts";
import { DEFAULT_DEPLOY_LEASE_MS } from "./host/deployer.ts";
import { DEFAULT_FETCH_LIMITS } from "./host/fetch/service.ts";
import { AddressAllowance } from "./host/guard/address.ts";
import { DEFAULT_CPU_BURSTS } from "./host/guard/cpu_bursts.ts";
import { DEFAULT_RESTART_BACKOFF } from "./host/guard/restart_backoff.ts";
import { SCHEDULING_DEFAULTS } from "./host/scheduling_options.ts";
import type { LinkTransport } from "./sandbox/host_link.ts";

/** Everything `startFlora` needs. */
export interface FloraConfig {
  /** Storage backends (`DATABASE_URL`, `REDIS_URL`, `FLORA_KV_URL`, `FLORA_DATA_DIR`). */
  storage: StorageConfig;
  /** Discord bot token; absent: run against the built-in emulator. */
  discordToken?: string;
  /**
   * `DISCORD_API_URL`: REST base of a Discord-compatible API (no `/v10`), e.g. a standalone
   * emulator several nodes share; the gateway URL comes from its `GET /gateway/bot`.
   * @default Discord's with `DISCORD_TOKEN`, else the built-in emulator
   */
  discordApiUrl?: string;
  /**
   * `FLORA_ROLE`: the roles this process plays, `all` or a comma list of gateway, runtime, api.
   * @default every role (one process, no NATS)
   */
  roles: ReadonlySet<FloraRole>;
  /** `NATS_URL`: servers of the cluster's event bus; required unless every role runs here. */
  natsUrl?: string[];
  /**
   * `FLORA_BUS_PREFIX`: names the cluster's JetStream stream and buckets.
   * @default "flora"
   */
  busPrefix: string;
  /**
   * `FLORA_PARTITIONS`: event partitions of the cluster (every node must agree; fixed for its life).
   * @default 64
   */
  partitions: number;
  /**
   * `FLORA_NODE_ID`: this process's name in leases.
   * @default host name, pid and a random suffix
   */
  nodeId: string;
  /** Where the embedded database and runtime files live. */
  dataDir: string;
  /** Interface the API listens on. */
  apiHost: string;
  /** API port (0: any free port). */
  apiPort: number;
  /**
   * `FLORA_METRICS_PORT`: a gateway node (which serves no API) serves `GET /metrics` here, behind
   * the operator token (0: any free port). Unset: it serves none.
   */
  metricsPort?: number;
  /** Emulator port when no token is set (0: any free port). */
  emulatorPort: number;
  /** Operator token; generated and kept in the data dir when absent. */
  operatorToken?: string;
  /** Number of sandbox processes. */
  sandboxProcesses: number;
  /** Heap limit of each sandbox process, MiB. */
  sandboxHeapMb: number;
  /**
   * Standby sandbox processes kept warm to replace one that dies at once (0: none).
   * @default {1}
   */
  sandboxStandby?: number;
  /**
   * A sandbox process silent this long (stopped, deadlocked, swapping) is killed and replaced, ms.
   * @default {5000}
   */
  sandboxLivenessMs?: number;
  /**
   * `FLORA_SANDBOX_MAX_ISOLATED`: most guilds moved to sandbox processes of their own at once
   * after process deaths that could not be blamed on one of them (each ≈ 60 MiB idle).
   * @default {4}
   */
  sandboxMaxIsolated?: number;
  /**
   * `FLORA_SANDBOX_ISOLATION_MS`: how long such a guild stays apart, counted from the last
   * unexplained death it was part of, ms.
   * @default {600_000} (10 minutes)
   */
  sandboxIsolationMs?: number;
  /**
   * `FLORA_DEDICATED_GUILDS`: guilds that each run in a sandbox process of their own, never
   * beside another guild (comma-separated ids; each costs a process, `docs/isolation.md`).
   * @default none
   */
  dedicatedGuilds?: readonly string[];
  /**
   * Niceness of the sandbox processes, 0–19. The default puts the host's gateway, routing and
   * Discord calls before the guilds' code: a thousand busy worker threads would otherwise
   * outweigh the host's one main thread in the scheduler. 0 treats them alike.
   * @default {10}
   */
  sandboxNice?: number;
  /**
   * `FLORA_SANDBOX_CPUS`: the CPUs the sandbox processes run on (a list such as `1` or `2-7`),
   * and the host keeps to the rest. Linux, with `taskset`.
   * @default none: the kernel places every thread
   */
  sandboxCpus?: CpuPlacement;
  /** How the host talks to its sandbox processes (default: a Unix socket where there are any). */
  sandboxTransport?: LinkTransport;
  /**
   * V8's memory reducer in the sandbox processes.
   * @default {false} (CPU over memory)
   */
  sandboxMemoryReducer?: boolean;
  /**
   * `FLORA_SANDBOX_SEMI_SPACE_MB`: cap on each worker isolate's young-generation semi-space, MiB
   * (V8's `--max-semi-space-size`). Bounds how far idle workers' heaps stay grown without the
   * memory reducer (`docs/operations.md`, "Sandbox memory under load").
   * @default V8's own (up to 16 MiB per semi-space)
   */
  sandboxSemiSpaceMb?: number;
  /**
   * `FLORA_SANDBOX_V8_FLAGS`: V8 flags for the sandbox processes after flora's defaults
   * (`runtime/sandbox/v8_flags.ts`), comma- or space-separated; V8 takes the last of a flag
   * given twice. Flags that would weaken the sandbox are refused.
   * @default none
   */
  sandboxV8Flags?: readonly string[];
  /**
   * `FLORA_SANDBOX_RSS_CEILING_MB`: RSS past which a sandbox process is recycled (a fresh one
   * takes over, its guilds move between events, then it exits), MiB; 0: never. Keep it above
   * the guilds' working set and below `sandboxMemoryMb` (`docs/operations.md`).
   * @default {1536}
   */
  sandboxRssCeilingMb?: number;
  /** Longest an event handler may run, ms. */
  eventTimeoutMs: number;
  /** Longest a script's top level may take to load, ms. */
  loadTimeoutMs: number;
  /**
   * Resident workers before the least recently used idle ones are evicted.
   * @default {500}
   */
  maxResidentWorkers?: number;
  /**
   * A worker idle this long is evicted, ms.
   * @default {300_000} (5 minutes)
   */
  workerIdleMs?: number;
  /**
   * Droppable events a guild may have waiting before new ones are dropped.
   * @default {2_000}
   */
  guildBacklog?: number;
  /**
   * The most a guild's chat events may wait for more while its sandbox process is backlogged,
   * ms: they wait about as long as batches take to start there, never while it keeps up (fewer
   * worker wake-ups under load; 0: never).
   * @default {1_000}
   */
  batchHoldMs?: number;
  /**
   * How long a script gets to answer an interaction before the host defers it, ms.
   * @default {2_000}
   */
  interactionAckMs?: number;
  /**
   * How long shutdown waits for in-flight handlers, ms.
   * @default {10_000}
   */
  shutdownMs?: number;
  /**
   * Lease a deploying host renews on its pending deployment, ms: a deploy whose lease ran out
   * was interrupted, and any host finishes or fails it.
   * @default {30_000}
   */
  deployLeaseMs?: number;
  /** Gateway shards: a number, or undefined for Discord's recommendation. */
  shards?: number;
  /**
   * How long a shard holds its identify bucket after READY before the next shard of the bucket
   * may IDENTIFY, ms: Discord allows one IDENTIFY per bucket per 5 s. A start does not wait it
   * out after the last shard (`host/shards_connected.ts`); 0 only against a gateway that does
   * not limit identifies (the test emulator's `--identify-interval=0`).
   * @default {5_300}
   */
  shardSpawnDelayMs?: number;
  /** Longest one cron run may take, ms (default: the event budget). */
  cronTimeoutMs?: number;
  /**
   * Heap one guild's worker may report before it is stopped, MiB.
   * @default {256}
   */
  guildHeapMb?: number;
  /**
   * Resident memory of a sandbox process before it sheds its largest worker, MiB.
   * @default {2048}
   */
  sandboxMemoryMb?: number;
  /**
   * Window over which a worker's CPU share is measured, ms.
   * @default {30_000}
   */
  cpuWindowMs?: number;
  /**
   * Share of one core a worker may use over `cpuWindowMs`, 0–1 (1: no limit).
   * @default {0.5}
   */
  maxCpuShare?: number;
  /**
   * CPU burst milliseconds a guild's bucket holds (`requestCpuBurst`; 0: no bursts).
   * @default {30_000}
   */
  cpuBurstMs?: number;
  /**
   * Burst milliseconds a guild's bucket gets back per minute.
   * @default {3_000}
   */
  cpuBurstRefillMsPerMinute?: number;
  /**
   * Failures within `crashLoopWindowMs` that suspend a guild.
   * @default {5}
   */
  crashLoopFailures?: number;
  /**
   * Crash-loop window, ms.
   * @default {300_000} (5 minutes)
   */
  crashLoopWindowMs?: number;
  /**
   * `FLORA_RESTART_FREE_STOPS`: stops of a guild's script within a minute that restart at once;
   * each one after that waits (the restart back-off, `guard/restart_backoff.ts`).
   * @default {2}
   */
  restartFreeStops?: number;
  /**
   * `FLORA_RESTART_BACKOFF_MS`: the first such wait, ms; it doubles with each further stop (0: no
   * back-off).
   * @default {1_000}
   */
  restartBackoffMs?: number;
  /**
   * `FLORA_RESTART_BACKOFF_MAX_MS`: the longest such wait, ms.
   * @default {30_000}
   */
  restartBackoffMaxMs?: number;
  /**
   * Log lines a guild may write per 10 seconds before lines are dropped.
   * @default {200}
   */
  guildLogLinesPer10s?: number;
  /**
   * Discord REST calls per second of one guild, sustained (bursts of twice that).
   * @default {5}
   */
  guildRestPerSecond?: number;
  /**
   * Discord REST calls of one guild running at once.
   * @default {4}
   */
  guildRestConcurrency?: number;
  /**
   * `FLORA_GUILD_STORAGE_PER_SECOND`: storage calls (KV, sorted sets, tasks) of one guild the
   * host serves per second, sustained (bursts of twice that; 8 at once).
   * @default {500}
   */
  guildStoragePerSecond?: number;
  /**
   * Non-public addresses scripts' fetch may reach anyway (`FLORA_FETCH_ALLOW_PRIVATE`,
   * operator only: dev and test setups). Default: none.
   */
  fetchAllowPrivate?: AddressAllowance;
  /**
   * Longest one outbound fetch may take, ms.
   * @default {8_000}
   */
  fetchTimeoutMs?: number;
  /**
   * Largest outbound response body, bytes.
   * @default {2_097_152} (2 MiB)
   */
  fetchMaxResponseBytes?: number;
  /**
   * Largest outbound request body, bytes.
   * @default {1_048_576} (1 MiB)
   */
  fetchMaxRequestBytes?: number;
  /**
   * Outbound fetches per second of one guild, sustained (bursts of twice that).
   * @default {5}
   */
  fetchPerSecond?: number;
}

/**
 * The default of every setting that has one: what the environment falls back
 * to, and what `startFlora` uses for an optional field left out. Settings
 * another module owns (scheduling, fetch limits) take that module's default.
 */
export const CONFIG_DEFAULTS = {
  apiPort: 8787,
  /** The built-in emulator's port: the emulator's own default, one above the API's. */
  emulatorPort: DEFAULT_EMULATOR_PORT,
  sandboxProcesses: 2,
  sandboxHeapMb: 512,
  sandboxStandby: 1,
  sandboxLivenessMs: DEFAULT_LIVENESS_MS,
  sandboxMaxIsolated: ISOLATION_DEFAULTS.maxIsolated,
  sandboxIsolationMs: ISOLATION_DEFAULTS.isolationMs,
  sandboxNice: 10,
  eventTimeoutMs: 10_000,
  loadTimeoutMs: 10_000,
  maxResidentWorkers: SCHEDULING_DEFAULTS.maxResident,
  workerIdleMs: SCHEDULING_DEFAULTS.idleMs,
  guildBacklog: SCHEDULING_DEFAULTS.maxBacklog,
  batchHoldMs: SCHEDULING_DEFAULTS.batchHoldMs,
  interactionAckMs: SCHEDULING_DEFAULTS.interactionAckMs,
  shutdownMs: 10_000,
  deployLeaseMs: DEFAULT_DEPLOY_LEASE_MS,
  // Discordeno's own default: Discord's 5 s identify spacing and some slack.
  shardSpawnDelayMs: 5_300,
  guildHeapMb: 256,
  sandboxMemoryMb: 2048,
  sandboxRssCeilingMb: 1536,
  cpuWindowMs: 30_000,
  maxCpuShare: 0.5,
  cpuBurstMs: DEFAULT_CPU_BURSTS.capacityMs,
  cpuBurstRefillMsPerMinute: DEFAULT_CPU_BURSTS.refillMsPerMinute,
  crashLoopFailures: 5,
  crashLoopWindowMs: 300_000,
  restartFreeStops: DEFAULT_RESTART_BACKOFF.freeStops,
  restartBackoffMs: DEFAULT_RESTART_BACKOFF.baseMs,
  restartBackoffMaxMs: DEFAULT_RESTART_BACKOFF.maxMs,
  guildLogLinesPer10s: 200,
  guildRestPerSecond: 5,
  guildRestConcurrency: 4,
  guildStoragePerSecond: 500,
  fetchTimeoutMs: DEFAULT_FETCH_LIMITS.timeoutMs,
  fetchMaxResponseBytes: DEFAULT_FETCH_LIMITS.maxResponseBytes,
  fetchMaxRequestBytes: DEFAULT_FETCH_LIMITS.maxRequestBytes,
  fetchPerSecond: 5,
} as const satisfies Partial<Record<keyof FloraConfig, number>>;
