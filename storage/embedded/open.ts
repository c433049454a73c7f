/**
 * Opens the embedded storage: one Deno KV file holding every concern, for
 * single-host installs and development (no external services).
 *
 * @module
 */

import type { DeploymentLimits } from "../deployment_input.ts";
import type { GuildKvQuota } from "../guild_kv_limits.ts";
import type { LogOptions } from "../logs_common.ts";
import type { SortedQuota } from "../sorted_limits.ts";
import type { SecretCipher } from "../secrets_crypto.ts";
import { loadOrCreateKeyFile } from "../secrets_key.ts";
import { KvCacheStore } from "./cache.ts";
import { KvDeploymentStore } from "./deployments.ts";
import { KvDeploymentEvents } from "./events.ts";
import { KvGuildKvStore } from "./guild_kv.ts";
import { KvLogStore } from "./logs.ts";
import { KvRateLimitStore } from "./rate_limits.ts";
import { KvSecretStore } from "./secrets.ts";
import { KvSessionStore } from "./sessions.ts";
import { KvSortedBackend } from "./sorted.ts";
import { CheckedSortedStore } from "../sorted_store.ts";
import { KvTokenStore } from "./tokens.ts";

/** Tunables for the embedded stores; every field has a default. */
export interface EmbeddedOptions {
  deploymentLimits?: Partial<DeploymentLimits>;
  guildKvQuota?: Partial<GuildKvQuota>;
  sortedQuota?: Partial<SortedQuota>;
  logs?: Partial<LogOptions>;
  /** Key for guild secrets. Default (openEmbeddedStorage): `${dataDir}/secrets.key`, created if missing. */
  cipher?: SecretCipher;
}

/** The embedded stores sharing one open Deno KV database. */
export interface EmbeddedStorage {
  kv: Deno.Kv;
  deployments: KvDeploymentStore;
  guildKv: KvGuildKvStore;
  guildSorted: CheckedSortedStore;
  tokens: KvTokenStore;
  secrets: KvSecretStore;
  sessions: KvSessionStore;
  cache: KvCacheStore;
  rateLimits: KvRateLimitStore;
  logs: KvLogStore;
  events: KvDeploymentEvents;
  /** Closes the database; the stores must not be used afterwards. */
  close(): void;
}

/** Opens (creating the directory if needed) `${dataDir}/flora.kv`. */
export async function openEmbeddedStorage(
  dataDir: string,
  options: EmbeddedOptions = {},
): Promise<EmbeddedStorage> {
  await Deno.mkdir(dataDir, { recursive: true });
  const cipher = options.cipher ?? await loadOrCreateKeyFile(dataDir);
  const kv = await Deno.openKv(`${dataDir.replace(/\/+$/, "")}/flora.kv`);
  return embeddedStorageOn(kv, { ...options, cipher });
}

/**
 * The embedded stores on an already open database: `Deno.openKv(":memory:")`
 * in tests, or a remote KV (`FLORA_KV_URL`). Without `options.cipher` the
 * secret store refuses every call (there is no key to protect values with).
 */
export function embeddedStorageOn(kv: Deno.Kv, options: EmbeddedOptions = {}): EmbeddedStorage {
  let closed = false;
  return {
    kv,
    deployments: new KvDeploymentStore(kv, options.deploymentLimits),
    guildKv: new KvGuildKvStore(kv, options.guildKvQuota),
    guildSorted: new CheckedSortedStore(new KvSortedBackend(kv), options.sortedQuota),
    tokens: new KvTokenStore(kv),
    secrets: new KvSecretStore(kv, options.cipher ?? null),
    sessions: new KvSessionStore(kv),
    cache: new KvCacheStore(kv),
    rateLimits: new KvRateLimitStore(kv),
    logs: new KvLogStore(kv, options.logs),
    events: new KvDeploymentEvents(kv),
    close() {
      if (closed) return;
      closed = true;
      kv.close();
    },
  };
}
