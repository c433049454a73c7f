/**
 * DeploymentStore on PostgreSQL. Revisions come from a per-guild counter row
 * (`guild_revisions`) whose row lock serialises creates and status changes
 * of one guild; a partial unique index guarantees one active deployment.
 *
 * @module
 */

import type postgres from "postgres";
import {
  checkListLimit,
  checkNewDeployment,
  checkStatus,
  DEFAULT_DEPLOYMENT_LIMITS,
  type DeploymentLimits,
  errorFor,
} from "../deployment_input.ts";
import { newId } from "../ids.ts";
import {
  type Deployment,
  type DeploymentProgress,
  type DeploymentStatus,
  type DeploymentStore,
  type JsonValue,
  type NewDeployment,
  StorageNotFoundError,
} from "../types.ts";

interface DeploymentRow {
  id: string;
  guild_id: string;
  revision: number;
  status: DeploymentStatus;
  error: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  entry: string;
  code: Uint8Array;
  source_map: Uint8Array | null;
  fetch_hosts: string[];
  lease_until: Date | null;
  commands: JsonValue[] | null;
}

const decoder = new TextDecoder();

export class PgDeploymentStore implements DeploymentStore {
  readonly #sql: postgres.Sql;
  readonly #limits: DeploymentLimits;

  constructor(sql: postgres.Sql, limits: Partial<DeploymentLimits> = {}) {
    this.#sql = sql;
    this.#limits = { ...DEFAULT_DEPLOYMENT_LIMITS, ...limits };
  }

  async create(input: NewDeployment): Promise<Deployment> {
    const bundle = checkNewDeployment(input, this.#limits);
    const id = newId();
    const now = new Date();
    const revision = await this.#sql.begin(async (tx) => {
      const [{ last_revision }] = await tx<{ last_revision: number }[]>`
        insert into guild_revisions (guild_id, last_revision) values (${input.guildId}, 1)
        on conflict (guild_id) do update set last_revision = guild_revisions.last_revision + 1
        returning last_revision`;
      await tx`
        insert into deployments
          (id, guild_id, revision, status, created_by, created_at, updated_at, entry, code, source_map,
           fetch_hosts)
        values (${id}, ${input.guildId}, ${last_revision}, 'pending', ${input.createdBy},
                ${now}, ${now}, ${input.bundle.entry}, ${bundle.code}, ${bundle.sourceMap},
                ${tx.array(bundle.fetchHosts)})`;
      return last_revision;
    });
    // Built from the input rather than read back: the bundle can be megabytes.
    return {
      id,
      guildId: input.guildId,
      revision,
      status: "pending",
      createdBy: input.createdBy,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      bundle: {
        entry: input.bundle.entry,
        code: input.bundle.code,
        ...(input.bundle.sourceMap === undefined ? {} : { sourceMap: input.bundle.sourceMap }),
      },
      ...(bundle.fetchHosts.length === 0 ? {} : { fetchHosts: bundle.fetchHosts }),
    };
  }

  async setStatus(id: string, status: DeploymentStatus, error?: string): Promise<Deployment> {
    const next = checkStatus(status);
    const message = errorFor(next, error) ?? null;
    const row = await this.#sql.begin(async (tx) => {
      const [found] = await tx<{ guild_id: string }[]>`
        select guild_id from deployments where id = ${id}`;
      if (found === undefined) throw new StorageNotFoundError(`deployment ${id} does not exist`);
      // The guild's counter row is the per-guild lock: concurrent activations take turns.
      await tx`select 1 from guild_revisions where guild_id = ${found.guild_id} for update`;
      const now = new Date();
      if (next === "active") {
        await tx`
          update deployments set status = 'superseded', updated_at = ${now}
          where guild_id = ${found.guild_id} and status = 'active' and id <> ${id}`;
      }
      const [updated] = await tx<DeploymentRow[]>`
        update deployments set status = ${next}, error = ${message}, updated_at = ${now}
        where id = ${id} returning *`;
      return updated;
    });
    return toDeployment(row);
  }

  async get(id: string): Promise<Deployment | null> {
    if (typeof id !== "string" || id.length === 0) return null;
    const [row] = await this.#sql<DeploymentRow[]>`select * from deployments where id = ${id}`;
    return row === undefined ? null : toDeployment(row);
  }

  async current(guildId: string): Promise<Deployment | null> {
    const [row] = await this.#sql<DeploymentRow[]>`
      select * from deployments where guild_id = ${guildId} and status = 'active'`;
    return row === undefined ? null : toDeployment(row);
  }

  async list(guildId: string, options: { limit?: number } = {}): Promise<Deployment[]> {
    const limit = checkListLimit(options.limit);
    const rows = await this.#sql<DeploymentRow[]>`
      select * from deployments where guild_id = ${guildId}
      order by revision desc limit ${limit}`;
    return rows.map(toDeployment);
  }

  async listActive(): Promise<Deployment[]> {
    const rows = await this.#sql<DeploymentRow[]>`
      select * from deployments where status = 'active' order by guild_id`;
    return rows.map(toDeployment);
  }

  async recordProgress(id: string, progress: DeploymentProgress): Promise<boolean> {
    const commands = progress.commands === undefined
      ? null
      : this.#sql.json(progress.commands as postgres.JSONValue);
    const rows = await this.#sql`
      update deployments
      set lease_until = ${progress.leaseUntil}, commands = coalesce(${commands}, commands)
      where id = ${id} and status = 'pending' returning id`;
    if (rows.length > 0) return true;
    const [exists] = await this.#sql`select 1 from deployments where id = ${id}`;
    if (exists === undefined) throw new StorageNotFoundError(`deployment ${id} does not exist`);
    return false;
  }

  async listPending(): Promise<Deployment[]> {
    const rows = await this.#sql<DeploymentRow[]>`
      select * from deployments where status = 'pending' order by id`;
    return rows.map(toDeployment);
  }

  async registeredCommands(guildId: string): Promise<string | null> {
    const [row] = await this.#sql<{ hash: string }[]>`
      select hash from guild_commands where guild_id = ${guildId}`;
    return row?.hash ?? null;
  }

  async setRegisteredCommands(guildId: string, hash: string): Promise<void> {
    await this.#sql`
      insert into guild_commands (guild_id, hash, updated_at) values (${guildId}, ${hash}, now())
      on conflict (guild_id) do update set hash = excluded.hash, updated_at = excluded.updated_at`;
  }
}

function toDeployment(row: DeploymentRow): Deployment {
  return {
    id: row.id,
    guildId: row.guild_id,
    revision: row.revision,
    status: row.status,
    ...(row.error === null ? {} : { error: row.error }),
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    bundle: {
      entry: row.entry,
      code: decoder.decode(row.code),
      ...(row.source_map === null ? {} : { sourceMap: decoder.decode(row.source_map) }),
    },
    ...(row.fetch_hosts.length === 0 ? {} : { fetchHosts: row.fetch_hosts }),
    ...(row.lease_until === null ? {} : { leaseUntil: row.lease_until.toISOString() }),
    ...(row.commands === null ? {} : { commands: row.commands }),
  };
}
