/**
 * The runtime's configuration, read from the environment and validated at
 * start with messages that say what to fix.
 *
 * @module
 */

import { readStorageConfig, type StorageConfig, StorageConfigError } from "../storage/config.ts";
import { parseRoles } from "./cluster/roles.ts";
import { DEFAULT_PARTITION_COUNT } from "./cluster/partitions.ts";
import {
  checkClusterNeeds,
  ClusterConfigError,
  parseBusPrefix,
  parseDiscordApiUrl,
  parseNatsUrl,
  parseNodeId,
} from "./cluster/settings.ts";
import { CONFIG_DEFAULTS, type FloraConfig } from "./config_schema.ts";
import {
  allowance,
  ConfigError,
  guildIds,
  integer,
  sandboxCpus,
  transport,
} from "./env_parsing.ts";
import { parseV8Flags, V8FlagsError } from "./sandbox/v8_flags.ts";

/** `FLORA_SANDBOX_V8_FLAGS`, refused with a message that names the variable. */
function v8Flags(text: string): string[] {
  try {
    return parseV8Flags(text);
  } catch (error) {
    if (error instanceof V8FlagsError) {
      throw new ConfigError(`FLORA_SANDBOX_V8_FLAGS: ${error.message}`);
    }
    throw error;
  }
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
    ...(env.FLORA_METRICS_PORT?.trim()
      ? { metricsPort: integer(env, "FLORA_METRICS_PORT", 0, 0, 65535) }
      : {}),
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
    sandboxMaxIsolated: integer(
      env,
      "FLORA_SANDBOX_MAX_ISOLATED",
      CONFIG_DEFAULTS.sandboxMaxIsolated,
      0,
      64,
    ),
    sandboxIsolationMs: integer(
      env,
      "FLORA_SANDBOX_ISOLATION_MS",
      CONFIG_DEFAULTS.sandboxIsolationMs,
      1_000,
      86_400_000,
    ),
    dedicatedGuilds: guildIds(env, "FLORA_DEDICATED_GUILDS"),
    sandboxNice: integer(env, "FLORA_SANDBOX_NICE", CONFIG_DEFAULTS.sandboxNice, 0, 19),
    sandboxTransport: transport(env.FLORA_SANDBOX_TRANSPORT),
    sandboxCpus: sandboxCpus(env.FLORA_SANDBOX_CPUS),
    sandboxMemoryReducer: integer(env, "FLORA_SANDBOX_MEMORY_REDUCER", 0, 0, 1) === 1,
    sandboxRssCeilingMb: integer(
      env,
      "FLORA_SANDBOX_RSS_CEILING_MB",
      CONFIG_DEFAULTS.sandboxRssCeilingMb,
      0,
      1_048_576,
    ),
    ...(env.FLORA_SANDBOX_SEMI_SPACE_MB?.trim()
      ? { sandboxSemiSpaceMb: integer(env, "FLORA_SANDBOX_SEMI_SPACE_MB", 16, 1, 64) }
      : {}),
    ...(env.FLORA_SANDBOX_V8_FLAGS?.trim()
      ? { sandboxV8Flags: v8Flags(env.FLORA_SANDBOX_V8_FLAGS) }
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
    batchHoldMs: integer(env, "FLORA_BATCH_HOLD_MS", CONFIG_DEFAULTS.batchHoldMs, 0, 60_000),
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
    shardSpawnDelayMs: integer(
      env,
      "FLORA_SHARD_SPAWN_DELAY_MS",
      CONFIG_DEFAULTS.shardSpawnDelayMs,
      0,
      60_000,
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
    restartFreeStops: integer(
      env,
      "FLORA_RESTART_FREE_STOPS",
      CONFIG_DEFAULTS.restartFreeStops,
      0,
      1_000,
    ),
    restartBackoffMs: integer(
      env,
      "FLORA_RESTART_BACKOFF_MS",
      CONFIG_DEFAULTS.restartBackoffMs,
      0,
      3_600_000,
    ),
    restartBackoffMaxMs: integer(
      env,
      "FLORA_RESTART_BACKOFF_MAX_MS",
      CONFIG_DEFAULTS.restartBackoffMaxMs,
      0,
      3_600_000,
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
    guildStoragePerSecond: integer(
      env,
      "FLORA_GUILD_STORAGE_PER_SECOND",
      CONFIG_DEFAULTS.guildStoragePerSecond,
      1,
      1_000_000,
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
