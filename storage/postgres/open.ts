/**
 * Opens the PostgreSQL backend: connects, applies migrations, and builds
 * the stores that live in the database.
 *
 * @module
 */

import type postgres from "postgres";
import type { DeploymentLimits } from "../deployment_input.ts";
import type { GuildKvQuota } from "../guild_kv_limits.ts";
import type { LogOptions } from "../logs_common.ts";
import type { SecretCipher } from "../secrets_crypto.ts";
import type { SortedQuota } from "../sorted_limits.ts";
import { connectPostgres, type PostgresOptions } from "./connect.ts";
import { PgDeploymentStore } from "./deployments.ts";
import { PgDeploymentEvents } from "./events.ts";
import { PgEffectJournal } from "./effect_journal.ts";
import { PgGuildKvStore } from "./guild_kv.ts";
import { PgLogStore } from "./logs.ts";
import { migrate } from "./migrations.ts";
import { PgSecretStore } from "./secrets.ts";
import { PgSortedBackend } from "./sorted.ts";
import { CheckedSortedStore } from "../sorted_store.ts";
import { PgTokenStore } from "./tokens.ts";

export interface PostgresStorage {
  sql: postgres.Sql;
  deployments: PgDeploymentStore;
  tokens: PgTokenStore;
  secrets: PgSecretStore;
  guildSorted: CheckedSortedStore;
  events: PgDeploymentEvents;
  /** Per-guild KV (used when `FLORA_GUILD_KV=postgres`). */
  guildKv: PgGuildKvStore;
  /** Per-guild logs (used when `FLORA_GUILD_KV=postgres`). */
  logs: PgLogStore;
  /** What cluster bus events did, so a re-run repeats none of it (`storage/effect_journal.ts`). */
  effects: PgEffectJournal;
  /** Ends the pool (and its LISTEN connection). */
  close(): Promise<void>;
}

export interface OpenPostgresOptions extends PostgresOptions {
  deploymentLimits?: Partial<DeploymentLimits>;
  sortedQuota?: Partial<SortedQuota>;
  guildKvQuota?: Partial<GuildKvQuota>;
  logs?: Partial<LogOptions>;
}

/** Connects to `url`, migrates, and returns the PostgreSQL-backed stores. */
export async function openPostgresStorage(
  url: string,
  cipher: SecretCipher,
  options: OpenPostgresOptions = {},
): Promise<PostgresStorage> {
  const sql = await connectPostgres(url, options);
  try {
    await migrate(sql);
  } catch (error) {
    await sql.end();
    throw error;
  }
  return {
    sql,
    deployments: new PgDeploymentStore(sql, options.deploymentLimits),
    tokens: new PgTokenStore(sql),
    secrets: new PgSecretStore(sql, cipher),
    guildSorted: new CheckedSortedStore(new PgSortedBackend(sql), options.sortedQuota),
    events: new PgDeploymentEvents(sql, options.schema),
    guildKv: new PgGuildKvStore(sql, options.guildKvQuota),
    logs: new PgLogStore(sql, options.logs),
    effects: new PgEffectJournal(sql),
    close: () => sql.end(),
  };
}
