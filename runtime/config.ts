/**
 * The runtime's configuration, read from the environment and validated at
 * start with messages that say what to fix.
 *
 * @module
 */

/** Everything `startFlora` needs. */
export interface FloraConfig {
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
  return {
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
  };
}
