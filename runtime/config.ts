import { DEFAULT_LIVENESS_MS } from "./sandbox/liveness.ts";
import { readStorageConfig, type StorageConfig, StorageConfigError } from "../storage/config.ts";
import { DEFAULT_EMULATOR_PORT } from "../emulator/defaults.ts";
import { type FloraRole, parseRoles } from "./cluster/roles.ts";
import { DEFAULT_PARTITION_COUNT } from "./cluster/partitions.ts";
import {
  checkClusterNeeds,
  ClusterConfigError,
  parseBusPrefix,
  parseDiscordApiUrl,
  parseNatsUrl,
  parseNodeId,
} from "./cluster/settings.ts";
import { DEFAULT_DEPLOY_LEASE_MS } from "./host/deployer.ts";
import { DEFAULT_FETCH_LIMITS } from "./host/fetch/service.ts";
import { AddressAllowance } from "./host/guard/address.ts";
import { DEFAULT_CPU_BURSTS } from "./host/guard/cpu_bursts.ts";
import { SCHEDULING_DEFAULTS } from "./host/scheduling_options.ts";
import type { LinkTransport } from "./sandbox/host_link.ts";
import { errorMessage } from "../shared/error_message.ts";

/**
 * The runtime's configuration, read from the environment and validated at
 * start with messages that say what to fix.
 *
 * @module
 */

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
   * Niceness of the sandbox processes (e.g. 10 puts the host's gateway and REST first).
   * @default {0}
   */
  sandboxNice?: number;
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
  sandboxNice: 0,
  eventTimeoutMs: 10_000,
  loadTimeoutMs: 10_000,
  maxResidentWorkers: SCHEDULING_DEFAULTS.maxResident,
  workerIdleMs: SCHEDULING_DEFAULTS.idleMs,
  guildBacklog: SCHEDULING_DEFAULTS.maxBacklog,
  interactionAckMs: SCHEDULING_DEFAULTS.interactionAckMs,
  shutdownMs: 10_000,
  deployLeaseMs: DEFAULT_DEPLOY_LEASE_MS,
  guildHeapMb: 256,
  sandboxMemoryMb: 2048,
  cpuWindowMs: 30_000,
  maxCpuShare: 0.5,
  cpuBurstMs: DEFAULT_CPU_BURSTS.capacityMs,
  cpuBurstRefillMsPerMinute: DEFAULT_CPU_BURSTS.refillMsPerMinute,
  crashLoopFailures: 5,
  crashLoopWindowMs: 300_000,
  guildLogLinesPer10s: 200,
  guildRestPerSecond: 5,
  guildRestConcurrency: 4,
  fetchTimeoutMs: DEFAULT_FETCH_LIMITS.timeoutMs,
  fetchMaxResponseBytes: DEFAULT_FETCH_LIMITS.maxResponseBytes,
  fetchMaxRequestBytes: DEFAULT_FETCH_LIMITS.maxRequestBytes,
  fetchPerSecond: 5,
} as const satisfies Partial<Record<keyof FloraConfig, number>>;

/** A configuration value is missing or malformed. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

function integer(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`,
    );
  }
  return value;
}

function transport(text: string | undefined): LinkTransport | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  if (value === "unix" || value === "stdio") return value;
  throw new ConfigError(
    `FLORA_SANDBOX_TRANSPORT must be "unix" or "stdio" (got ${JSON.stringify(value)})`,
  );
}

/**
 * Reads the configuration from environment variables.
 *
 * @example
 * ```ts
 * const config = loadConfig(Deno.env.toObject());
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>): FloraConfig {
  const token = env.DISCORD_TOKEN?.trim();
  if (token !== undefined && token !== "" && !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
    throw new ConfigError(
      "DISCORD_TOKEN does not look like a bot token (three dot-separated parts)",
    );
  }
  const operatorToken = env.FLORA_OPERATOR_TOKEN?.trim();
  if (operatorToken !== undefined && operatorToken !== "" && operatorToken.length < 16) {
    throw new ConfigError("FLORA_OPERATOR_TOKEN must be at least 16 characters");
  }
  let storage: StorageConfig;
  try {
    storage = readStorageConfig(env);
  } catch (error) {
    if (error instanceof StorageConfigError) throw new ConfigError(error.message);
    throw error;
  }
  let cluster: Pick<
    FloraConfig,
    "roles" | "natsUrl" | "discordApiUrl" | "busPrefix" | "nodeId" | "partitions"
  >;
  try {
    cluster = {
      roles: parseRoles(env.FLORA_ROLE),
      natsUrl: parseNatsUrl(env.NATS_URL),
      discordApiUrl: parseDiscordApiUrl(env.DISCORD_API_URL),
      busPrefix: parseBusPrefix(env.FLORA_BUS_PREFIX),
      nodeId: parseNodeId(env.FLORA_NODE_ID),
      partitions: integer(env, "FLORA_PARTITIONS", DEFAULT_PARTITION_COUNT, 1, 4_096),
    };
    checkClusterNeeds({ ...cluster, storage, discordToken: token || undefined });
  } catch (error) {
    if (error instanceof ClusterConfigError) throw new ConfigError(error.message);
    throw error;
  }
  return {
    storage,
    ...cluster,
    discordToken: token || undefined,
    dataDir: env.FLORA_DATA_DIR?.trim() || ".data",
    apiHost: env.FLORA_API_HOST?.trim() || "127.0.0.1",
    apiPort: integer(env, "FLORA_API_PORT", CONFIG_DEFAULTS.apiPort, 0, 65535),
    emulatorPort: integer(env, "FLORA_EMULATOR_PORT", CONFIG_DEFAULTS.emulatorPort, 0, 65535),
    operatorToken: operatorToken || undefined,
    sandboxProcesses: integer(
      env,
      "FLORA_SANDBOX_PROCESSES",
      CONFIG_DEFAULTS.sandboxProcesses,
      1,
      64,
    ),
    sandboxHeapMb: integer(env, "FLORA_SANDBOX_HEAP_MB", CONFIG_DEFAULTS.sandboxHeapMb, 64, 16384),
    sandboxStandby: integer(env, "FLORA_SANDBOX_STANDBY", CONFIG_DEFAULTS.sandboxStandby, 0, 8),
    sandboxLivenessMs: integer(
      env,
      "FLORA_SANDBOX_LIVENESS_MS",
      CONFIG_DEFAULTS.sandboxLivenessMs,
      1_000,
      600_000,
    ),
    sandboxNice: integer(env, "FLORA_SANDBOX_NICE", CONFIG_DEFAULTS.sandboxNice, 0, 19),
    sandboxTransport: transport(env.FLORA_SANDBOX_TRANSPORT),
    sandboxMemoryReducer: integer(env, "FLORA_SANDBOX_MEMORY_REDUCER", 0, 0, 1) === 1,
    ...(env.FLORA_SANDBOX_SEMI_SPACE_MB?.trim()
      ? { sandboxSemiSpaceMb: integer(env, "FLORA_SANDBOX_SEMI_SPACE_MB", 16, 1, 64) }
      : {}),
    eventTimeoutMs: integer(
      env,
      "FLORA_EVENT_TIMEOUT_MS",
      CONFIG_DEFAULTS.eventTimeoutMs,
      10,
      600_000,
    ),
    loadTimeoutMs: integer(
      env,
      "FLORA_LOAD_TIMEOUT_MS",
      CONFIG_DEFAULTS.loadTimeoutMs,
      10,
      600_000,
    ),
    maxResidentWorkers: integer(
      env,
      "FLORA_MAX_RESIDENT_WORKERS",
      CONFIG_DEFAULTS.maxResidentWorkers,
      1,
      100_000,
    ),
    workerIdleMs: integer(
      env,
      "FLORA_WORKER_IDLE_MS",
      CONFIG_DEFAULTS.workerIdleMs,
      10,
      86_400_000,
    ),
    guildBacklog: integer(env, "FLORA_GUILD_BACKLOG", CONFIG_DEFAULTS.guildBacklog, 1, 1_000_000),
    interactionAckMs: integer(
      env,
      "FLORA_INTERACTION_ACK_MS",
      CONFIG_DEFAULTS.interactionAckMs,
      10,
      2_900,
    ),
    shutdownMs: integer(env, "FLORA_SHUTDOWN_MS", CONFIG_DEFAULTS.shutdownMs, 0, 600_000),
    deployLeaseMs: integer(
      env,
      "FLORA_DEPLOY_LEASE_MS",
      CONFIG_DEFAULTS.deployLeaseMs,
      1_000,
      3_600_000,
    ),
    shards: env.FLORA_SHARDS?.trim() && env.FLORA_SHARDS.trim() !== "auto"
      ? integer(env, "FLORA_SHARDS", 1, 1, 1_024)
      : undefined,
    cronTimeoutMs: env.FLORA_CRON_TIMEOUT_MS
      ? integer(env, "FLORA_CRON_TIMEOUT_MS", 10_000, 10, 3_600_000)
      : undefined,
    guildHeapMb: integer(env, "FLORA_GUILD_HEAP_MB", CONFIG_DEFAULTS.guildHeapMb, 16, 16384),
    sandboxMemoryMb: integer(
      env,
      "FLORA_SANDBOX_MEMORY_MB",
      CONFIG_DEFAULTS.sandboxMemoryMb,
      128,
      1_048_576,
    ),
    cpuWindowMs: integer(env, "FLORA_CPU_WINDOW_MS", CONFIG_DEFAULTS.cpuWindowMs, 1_000, 3_600_000),
    cpuBurstMs: integer(env, "FLORA_CPU_BURST_MS", CONFIG_DEFAULTS.cpuBurstMs, 0, 3_600_000),
    cpuBurstRefillMsPerMinute: integer(
      env,
      "FLORA_CPU_BURST_REFILL_MS",
      CONFIG_DEFAULTS.cpuBurstRefillMsPerMinute,
      0,
      3_600_000,
    ),
    maxCpuShare: integer(env, "FLORA_MAX_CPU_PERCENT", CONFIG_DEFAULTS.maxCpuShare * 100, 1, 100) /
      100,
    crashLoopFailures: integer(
      env,
      "FLORA_CRASH_LOOP_FAILURES",
      CONFIG_DEFAULTS.crashLoopFailures,
      1,
      1_000,
    ),
    crashLoopWindowMs: integer(
      env,
      "FLORA_CRASH_LOOP_WINDOW_MS",
      CONFIG_DEFAULTS.crashLoopWindowMs,
      1_000,
      86_400_000,
    ),
    guildLogLinesPer10s: integer(
      env,
      "FLORA_GUILD_LOG_LINES",
      CONFIG_DEFAULTS.guildLogLinesPer10s,
      1,
      1_000_000,
    ),
    guildRestPerSecond: integer(
      env,
      "FLORA_GUILD_REST_PER_SECOND",
      CONFIG_DEFAULTS.guildRestPerSecond,
      1,
      50,
    ),
    guildRestConcurrency: integer(
      env,
      "FLORA_GUILD_REST_CONCURRENCY",
      CONFIG_DEFAULTS.guildRestConcurrency,
      1,
      64,
    ),
    fetchAllowPrivate: allowance(env.FLORA_FETCH_ALLOW_PRIVATE),
    fetchTimeoutMs: integer(
      env,
      "FLORA_FETCH_TIMEOUT_MS",
      CONFIG_DEFAULTS.fetchTimeoutMs,
      100,
      120_000,
    ),
    fetchMaxResponseBytes: integer(
      env,
      "FLORA_FETCH_MAX_RESPONSE_BYTES",
      CONFIG_DEFAULTS.fetchMaxResponseBytes,
      1_024,
      12 * 1024 * 1024,
    ),
    fetchMaxRequestBytes: integer(
      env,
      "FLORA_FETCH_MAX_REQUEST_BYTES",
      CONFIG_DEFAULTS.fetchMaxRequestBytes,
      0,
      12 * 1024 * 1024,
    ),
    fetchPerSecond: integer(
      env,
      "FLORA_FETCH_PER_SECOND",
      CONFIG_DEFAULTS.fetchPerSecond,
      1,
      1_000,
    ),
  };
}

function allowance(text: string | undefined): AddressAllowance {
  if (text === undefined || text.trim() === "") return AddressAllowance.none;
  try {
    return AddressAllowance.parse(text);
  } catch (error) {
    throw new ConfigError(
      `FLORA_FETCH_ALLOW_PRIVATE must be comma-separated IP addresses or CIDR ranges ` +
        `(e.g. 127.0.0.1/32,::1/128): ${errorMessage(error)}`,
    );
  }
}
