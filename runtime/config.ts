import { readStorageConfig, type StorageConfig, StorageConfigError } from "../storage/config.ts";

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
  /** Longest an event handler may run, ms. */
  eventTimeoutMs: number;
  /** Longest a script's top level may take to load, ms. */
  loadTimeoutMs: number;
  /** Resident workers before the least recently used idle ones are evicted (default 500). */
  maxResidentWorkers?: number;
  /** A worker idle this long is evicted, ms (default 5 minutes). */
  workerIdleMs?: number;
  /** Droppable events a guild may have waiting before new ones are dropped (default 2,000). */
  guildBacklog?: number;
  /** How long a script gets to answer an interaction before the host defers it, ms (default 2,000). */
  interactionAckMs?: number;
  /** How long shutdown waits for in-flight handlers, ms (default 10,000). */
  shutdownMs?: number;
  /** Gateway shards: a number, or undefined for Discord's recommendation. */
  shards?: number;
  /** Longest one cron run may take, ms (default: the event budget). */
  cronTimeoutMs?: number;
  /** Heap one guild's worker may report before it is stopped, MiB (default 256). */
  guildHeapMb?: number;
  /** Resident memory of a sandbox process before it sheds its largest worker, MiB (default 2048). */
  sandboxMemoryMb?: number;
  /** Failures within `crashLoopWindowMs` that suspend a guild (default 5). */
  crashLoopFailures?: number;
  /** Crash-loop window, ms (default 5 minutes). */
  crashLoopWindowMs?: number;
  /** Log lines a guild may write per 10 seconds before lines are dropped (default 200). */
  guildLogLinesPer10s?: number;
  /** Discord REST calls per second of one guild, sustained (default 5; bursts of twice that). */
  guildRestPerSecond?: number;
  /** Discord REST calls of one guild running at once (default 4). */
  guildRestConcurrency?: number;
}

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
  return {
    storage,
    discordToken: token || undefined,
    dataDir: env.FLORA_DATA_DIR?.trim() || ".data",
    apiHost: env.FLORA_API_HOST?.trim() || "127.0.0.1",
    apiPort: integer(env, "FLORA_API_PORT", 8787, 0, 65535),
    emulatorPort: integer(env, "FLORA_EMULATOR_PORT", 0, 0, 65535),
    operatorToken: operatorToken || undefined,
    sandboxProcesses: integer(env, "FLORA_SANDBOX_PROCESSES", 2, 1, 64),
    sandboxHeapMb: integer(env, "FLORA_SANDBOX_HEAP_MB", 512, 64, 16384),
    eventTimeoutMs: integer(env, "FLORA_EVENT_TIMEOUT_MS", 10_000, 10, 600_000),
    loadTimeoutMs: integer(env, "FLORA_LOAD_TIMEOUT_MS", 10_000, 10, 600_000),
    maxResidentWorkers: integer(env, "FLORA_MAX_RESIDENT_WORKERS", 500, 1, 100_000),
    workerIdleMs: integer(env, "FLORA_WORKER_IDLE_MS", 300_000, 10, 86_400_000),
    guildBacklog: integer(env, "FLORA_GUILD_BACKLOG", 2_000, 1, 1_000_000),
    interactionAckMs: integer(env, "FLORA_INTERACTION_ACK_MS", 2_000, 10, 2_900),
    shutdownMs: integer(env, "FLORA_SHUTDOWN_MS", 10_000, 0, 600_000),
    shards: env.FLORA_SHARDS?.trim() && env.FLORA_SHARDS.trim() !== "auto"
      ? integer(env, "FLORA_SHARDS", 1, 1, 1_024)
      : undefined,
    cronTimeoutMs: env.FLORA_CRON_TIMEOUT_MS
      ? integer(env, "FLORA_CRON_TIMEOUT_MS", 10_000, 10, 3_600_000)
      : undefined,
    guildHeapMb: integer(env, "FLORA_GUILD_HEAP_MB", 256, 16, 16384),
    sandboxMemoryMb: integer(env, "FLORA_SANDBOX_MEMORY_MB", 2048, 128, 1_048_576),
    crashLoopFailures: integer(env, "FLORA_CRASH_LOOP_FAILURES", 5, 1, 1_000),
    crashLoopWindowMs: integer(env, "FLORA_CRASH_LOOP_WINDOW_MS", 300_000, 1_000, 86_400_000),
    guildLogLinesPer10s: integer(env, "FLORA_GUILD_LOG_LINES", 200, 1, 1_000_000),
    guildRestPerSecond: integer(env, "FLORA_GUILD_REST_PER_SECOND", 5, 1, 50),
    guildRestConcurrency: integer(env, "FLORA_GUILD_REST_CONCURRENCY", 4, 1, 64),
  };
}
