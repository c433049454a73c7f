/**
 * Storage configuration from the environment, and `openStorage`, which picks
 * a backend per concern:
 *
 * | concern                                   | default (embedded)  | with config                |
 * | ----------------------------------------- | ------------------- | -------------------------- |
 * | deployments, tokens, secrets              | Deno KV             | PostgreSQL (`DATABASE_URL`) |
 * | sessions, cache, rate limits              | Deno KV             | Redis (`REDIS_URL`)        |
 * | deployment events                         | Deno KV watch       | Redis, else PostgreSQL     |
 * | guild KV                                  | Deno KV             | PostgreSQL (`FLORA_GUILD_KV=postgres`), remote Deno KV (`FLORA_KV_URL`) |
 * | logs                                      | Deno KV             | PostgreSQL (`FLORA_GUILD_KV=postgres`), remote Deno KV (`FLORA_KV_URL`) |
 * | guild sorted sets                         | Deno KV             | PostgreSQL (`FLORA_GUILD_KV=postgres`), remote Deno KV (`FLORA_KV_URL`) |
 *
 * @module
 */

import { answersWithin } from "./backend_deadline.ts";
import type { DeploymentLimits } from "./deployment_input.ts";
import { type EmbeddedStorage, embeddedStorageOn } from "./embedded/open.ts";
import type { GuildKvQuota } from "./guild_kv_limits.ts";
import type { LogOptions } from "./logs_common.ts";
import type { SortedQuota } from "./sorted_limits.ts";
import { openPostgresStorage, type PostgresStorage } from "./postgres/open.ts";
import type { EffectJournal } from "./effect_journal.ts";
import { openRedisStorage, type RedisStorage } from "./redis/open.ts";
import { SecretCipher } from "./secrets_crypto.ts";
import { loadOrCreateKeyFile } from "./secrets_key.ts";
import type {
  CacheStore,
  DeploymentEvents,
  DeploymentStore,
  GuildKvStore,
  GuildSortedStore,
  LogStore,
  RateLimitStore,
  SecretStore,
  SessionStore,
  TokenStore,
} from "./types.ts";
import { errorMessage } from "../shared/error_message.ts";

/** Validated storage configuration. */
export interface StorageConfig {
  /** `FLORA_DATA_DIR`, default `.data`: where the embedded KV file and key file live. */
  dataDir: string;
  /** `DATABASE_URL` (postgres:// or postgresql://). */
  databaseUrl?: string;
  /** `REDIS_URL` (redis:// or rediss://). */
  redisUrl?: string;
  /** `FLORA_KV_URL`: a remote Deno KV (KV Connect, http(s)://) used instead of the local file. */
  kvUrl?: string;
  /** `FLORA_SECRETS_KEY`: base64 of 32 bytes; required with `DATABASE_URL` or `FLORA_KV_URL`. */
  secretsKey?: string;
  /** `FLORA_POSTGRES_SCHEMA`: keep flora's tables in this schema (created if missing). */
  postgresSchema?: string;
  /** `FLORA_REDIS_PREFIX`: prefix of every Redis key and channel (default `flora:`). */
  redisPrefix?: string;
  /**
   * `FLORA_GUILD_KV`: where guilds' data (KV, sorted sets, logs) lives, `deno-kv` (the embedded
   * file, or `FLORA_KV_URL`) or `postgres` (needs `DATABASE_URL`; shared by every node of a cluster).
   * @default "deno-kv"
   */
  guildKv?: GuildKvBackend;
}

/** Values of `FLORA_GUILD_KV`. */
export type GuildKvBackend = "deno-kv" | "postgres";

/** Every problem found in the environment, one per line. */
export class StorageConfigError extends Error {
  override name = "StorageConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid storage configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

/** Reads and validates the storage variables; throws StorageConfigError listing every problem. */
export function readStorageConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): StorageConfig {
  const problems: string[] = [];
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const url = (name: string, protocols: string[], example: string) => {
    const raw = value(name);
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      problems.push(`${name} is not a URL (expected e.g. ${example})`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      problems.push(
        `${name} must start with ${
          protocols.map((p) => p + "//").join(" or ")
        } (got ${parsed.protocol}//…), e.g. ${example}`,
      );
      return undefined;
    }
    if (parsed.hostname === "") problems.push(`${name} has no host (expected e.g. ${example})`);
    return raw;
  };

  const config: StorageConfig = { dataDir: value("FLORA_DATA_DIR") ?? ".data" };
  const databaseUrl = url(
    "DATABASE_URL",
    ["postgres:", "postgresql:"],
    "postgres://user:password@db.internal:5432/flora",
  );
  const redisUrl = url("REDIS_URL", ["redis:", "rediss:"], "redis://cache.internal:6379");
  const kvUrl = url(
    "FLORA_KV_URL",
    ["http:", "https:"],
    "https://api.deno.com/databases/<id>/connect",
  );
  const secretsKey = value("FLORA_SECRETS_KEY");
  if (databaseUrl) config.databaseUrl = databaseUrl;
  const schema = value("FLORA_POSTGRES_SCHEMA");
  if (schema !== undefined) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      problems.push("FLORA_POSTGRES_SCHEMA must be a lowercase identifier (letters, digits, _)");
    } else config.postgresSchema = schema;
  }
  const redisPrefix = value("FLORA_REDIS_PREFIX");
  if (redisPrefix !== undefined) config.redisPrefix = redisPrefix;
  if (redisUrl) config.redisUrl = redisUrl;
  const guildKv = value("FLORA_GUILD_KV");
  if (guildKv === "postgres") {
    if (databaseUrl === undefined) {
      problems.push(
        "FLORA_GUILD_KV=postgres needs DATABASE_URL (the database to keep guild KV in)",
      );
    }
    config.guildKv = guildKv;
  } else if (guildKv !== undefined && guildKv !== "deno-kv") {
    problems.push(
      `FLORA_GUILD_KV must be "deno-kv" (default) or "postgres" (got ${JSON.stringify(guildKv)})`,
    );
  }
  if (kvUrl) {
    config.kvUrl = kvUrl;
    if (value("DENO_KV_ACCESS_TOKEN") === undefined) {
      problems.push(
        "FLORA_KV_URL needs DENO_KV_ACCESS_TOKEN (Deno sends it to the KV Connect server)",
      );
    }
  }
  if (secretsKey !== undefined) {
    if (!/^[A-Za-z0-9+/]{43}=?$/.test(secretsKey)) {
      problems.push(
        "FLORA_SECRETS_KEY must be base64 of 32 random bytes (e.g. the output of `openssl rand -base64 32`)",
      );
    } else {
      config.secretsKey = secretsKey;
    }
  } else if (config.databaseUrl || config.kvUrl) {
    problems.push(
      "FLORA_SECRETS_KEY is required when DATABASE_URL or FLORA_KV_URL is set " +
        "(every host must use the same key; generate one with `openssl rand -base64 32`)",
    );
  }
  if (problems.length > 0) throw new StorageConfigError(problems);
  return config;
}

/** Which backend serves each concern (for start-up logs and health checks). */
export type BackendName = "deno-kv" | "remote-deno-kv" | "postgres" | "redis";

/** Every store flora uses, whatever serves it. */
export interface Storage {
  deployments: DeploymentStore;
  guildKv: GuildKvStore;
  /** Sorted sets (leaderboards): beside the guild KV (`FLORA_GUILD_KV`). */
  guildSorted: GuildSortedStore;
  tokens: TokenStore;
  secrets: SecretStore;
  sessions: SessionStore;
  cache: CacheStore;
  rateLimits: RateLimitStore;
  logs: LogStore;
  events: DeploymentEvents;
  /**
   * The effect journal of cluster bus events (with `DATABASE_URL`); `kvJoins`: guild KV writes
   * record their steps in their own transactions (`FLORA_GUILD_KV=postgres`).
   */
  effects?: { journal: EffectJournal; kvJoins: boolean };
  backends: Record<
    | "deployments"
    | "guildKv"
    | "guildSorted"
    | "tokens"
    | "secrets"
    | "sessions"
    | "cache"
    | "rateLimits"
    | "logs"
    | "events",
    BackendName
  >;
  /** Probes each server backend ("ok", or why it is not); never throws. */
  health(): Promise<Record<string, string>>;
  /** Closes every connection and database. */
  close(): Promise<void>;
}

export interface OpenStorageOptions {
  deploymentLimits?: Partial<DeploymentLimits>;
  guildKvQuota?: Partial<GuildKvQuota>;
  sortedQuota?: Partial<SortedQuota>;
  logs?: Partial<LogOptions>;
  /** PostgreSQL schema (default: the server's search_path). */
  postgresSchema?: string;
  /** Prefix of Redis keys and channels (default `flora:`). */
  redisPrefix?: string;
  /** How long each server has to answer at start, ms (default 5,000). */
  connectTimeoutMs?: number;
  /** Receives a server connection's losses and recoveries, one line each (default: stderr). */
  onConnectionNotice?: (message: string) => void;
}

/** Runs each probe with a deadline; a failure or timeout becomes its reason. */
async function probeAll(
  probes: Record<string, () => Promise<unknown>>,
  timeoutMs = 1_000,
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([probe(), deadline]);
        return [name, "ok"] as const;
      } catch (error) {
        return [name, `down: ${errorMessage(error)}`] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

/** Opens the backends `config` asks for; nothing configured means everything embedded. */
export async function openStorage(
  config: StorageConfig,
  options: OpenStorageOptions = {},
): Promise<Storage> {
  const cipher = config.secretsKey !== undefined
    ? await SecretCipher.fromBase64(config.secretsKey)
    : await loadOrCreateKeyFile(config.dataDir);
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    const errors: unknown[] = [];
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        errors.push(error);
      }
    }
    closers.length = 0;
    if (errors.length > 0) throw new AggregateError(errors, "closing storage failed");
  };
  try {
    let kv: Deno.Kv;
    if (config.kvUrl !== undefined) {
      const remote = await Deno.openKv(config.kvUrl);
      kv = remote;
      // Opening is lazy: one read finds out whether the server answers.
      await answersWithin("remote Deno KV", config.kvUrl, remote.get(["health"]), {
        timeoutMs: options.connectTimeoutMs,
        abandon: () => remote.close(),
      });
    } else {
      await Deno.mkdir(config.dataDir, { recursive: true });
      kv = await Deno.openKv(`${config.dataDir.replace(/\/+$/, "")}/flora.kv`);
    }
    const embedded: EmbeddedStorage = embeddedStorageOn(kv, { ...options, cipher });
    closers.push(() => embedded.close());
    const kvName: BackendName = config.kvUrl === undefined ? "deno-kv" : "remote-deno-kv";

    let pg: PostgresStorage | undefined;
    if (config.databaseUrl !== undefined) {
      pg = await openPostgresStorage(config.databaseUrl, cipher, {
        deploymentLimits: options.deploymentLimits,
        guildKvQuota: options.guildKvQuota,
        logs: options.logs,
        timeoutMs: options.connectTimeoutMs,
        sortedQuota: options.sortedQuota,
        ...((options.postgresSchema ?? config.postgresSchema) === undefined
          ? {}
          : { schema: options.postgresSchema ?? config.postgresSchema }),
      });
      closers.push(() => pg?.close());
    }
    const pgGuildKv = pg !== undefined && config.guildKv === "postgres";
    let redis: RedisStorage | undefined;
    if (config.redisUrl !== undefined) {
      redis = await openRedisStorage(config.redisUrl, options.redisPrefix ?? config.redisPrefix, {
        timeoutMs: options.connectTimeoutMs,
        notice: options.onConnectionNotice,
      });
      closers.push(() => redis?.close());
    }

    return {
      deployments: pg?.deployments ?? embedded.deployments,
      guildKv: pgGuildKv ? pg!.guildKv : embedded.guildKv,
      guildSorted: pgGuildKv ? pg!.guildSorted : embedded.guildSorted,
      tokens: pg?.tokens ?? embedded.tokens,
      secrets: pg?.secrets ?? embedded.secrets,
      sessions: redis?.sessions ?? embedded.sessions,
      cache: redis?.cache ?? embedded.cache,
      rateLimits: redis?.rateLimits ?? embedded.rateLimits,
      logs: pgGuildKv ? pg!.logs : embedded.logs,
      events: redis?.events ?? pg?.events ?? embedded.events,
      ...(pg ? { effects: { journal: pg.effects, kvJoins: pgGuildKv } } : {}),
      backends: {
        deployments: pg ? "postgres" : kvName,
        guildKv: pgGuildKv ? "postgres" : kvName,
        guildSorted: pgGuildKv ? "postgres" : kvName,
        tokens: pg ? "postgres" : kvName,
        secrets: pg ? "postgres" : kvName,
        sessions: redis ? "redis" : kvName,
        cache: redis ? "redis" : kvName,
        rateLimits: redis ? "redis" : kvName,
        logs: pgGuildKv ? "postgres" : kvName,
        events: redis ? "redis" : pg ? "postgres" : kvName,
      },
      health: () =>
        probeAll({
          kv: () => kv.get(["health"]),
          ...(pg ? { postgres: () => pg!.sql`select 1` } : {}),
          ...(redis ? { redis: () => redis!.client.ping() } : {}),
        }),
      close: closeAll,
    };
  } catch (error) {
    await closeAll().catch(() => {});
    throw error;
  }
}
