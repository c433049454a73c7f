/**
 * Versioned schema migrations, applied at start. Hosts starting at once
 * take turns on a session-level advisory lock (keyed by schema), so each
 * migration runs exactly once; each runs in its own transaction together
 * with its `schema_migrations` row, so a crash never leaves one half-applied.
 *
 * Append new migrations; never edit or reorder applied ones (the runner
 * refuses a database whose recorded names disagree with this list).
 *
 * @module
 */

import type postgres from "postgres";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "deployments",
    sql: `
      create table guild_revisions (
        guild_id text primary key,
        last_revision integer not null
      );
      create table deployments (
        id text primary key,
        guild_id text not null,
        revision integer not null,
        status text not null
          check (status in ('pending', 'active', 'failed', 'superseded', 'suspended')),
        error text,
        created_by text not null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        entry text not null,
        -- bytea, not text: scripts may contain NUL characters, which text refuses.
        code bytea not null,
        source_map bytea,
        unique (guild_id, revision)
      );
      -- At most one active deployment per guild, enforced by the database.
      create unique index deployments_one_active on deployments (guild_id) where status = 'active';
    `,
  },
  {
    version: 2,
    name: "api tokens",
    sql: `
      create table api_tokens (
        id text primary key,
        name text not null,
        scopes text[] not null,
        hash text not null unique,
        created_at timestamptz not null,
        expires_at timestamptz,
        revoked_at timestamptz
      );
    `,
  },
  {
    version: 3,
    name: "guild secrets",
    sql: `
      create table guild_secrets (
        guild_id text not null,
        name text not null,
        iv bytea not null,
        ciphertext bytea not null,
        key_id text not null,
        updated_at timestamptz not null,
        primary key (guild_id, name)
      );
    `,
  },
  {
    version: 4,
    name: "outbound fetch hosts",
    sql: `
      -- Hosts a deployment's script may fetch from; empty: fetch is off.
      alter table deployments add column fetch_hosts text[] not null default '{}';
      -- Hosts a secret may be sent to; empty: no request may carry it.
      alter table guild_secrets add column allowed_hosts text[] not null default '{}';
    `,
  },
  {
    version: 5,
    name: "guild kv",
    sql: `
      -- One row per entry. Keys sort by their UTF-8 bytes (collation "C"), as on Deno KV.
      -- value and metadata are JSON text exactly as the script wrote it (jsonb would reorder keys).
      create table guild_kv (
        guild_id text not null,
        store text not null,
        key text collate "C" not null,
        value text not null,
        metadata text,
        expires_at bigint,
        version bigint not null,
        size integer not null,
        primary key (guild_id, store, key)
      );
      create index guild_kv_expiry on guild_kv (guild_id, expires_at) where expires_at is not null;
      create sequence guild_kv_versions;
      -- Bytes a guild has charged against its quota; writers lock this row, one guild at a time.
      create table guild_kv_usage (
        guild_id text primary key,
        bytes bigint not null
      );
      create table guild_kv_stores (
        guild_id text not null,
        store text not null,
        entries integer not null,
        primary key (guild_id, store)
      );
    `,
  },
  {
    version: 6,
    name: "guild sorted sets",
    sql: `
      -- Leaderboards: keys compare by code point ("C"), as on the embedded backend.
      create table guild_sorted (
        guild_id text not null,
        set_name text not null,
        key text collate "C" not null,
        score double precision not null,
        primary key (guild_id, set_name, key)
      );
      create index guild_sorted_order on guild_sorted (guild_id, set_name, score desc, key);
    `,
  },
  {
    version: 7,
    name: "deploy recovery",
    sql: `
      -- A pending deployment's lease (renewed by the deploying host) and the commands it recorded.
      alter table deployments add column lease_until timestamptz;
      alter table deployments add column commands jsonb;
      create index deployments_pending on deployments (id) where status = 'pending';
      -- Hash of the commands last sent to Discord per guild (re-synced at start when it differs).
      create table guild_commands (
        guild_id text primary key,
        hash text not null,
        updated_at timestamptz not null
      );
    `,
  },
  {
    version: 8,
    name: "guild logs",
    sql: `
      -- A ring buffer per guild: record n lives in slot n mod capacity, so appends never clean up.
      create table guild_log_seq (
        guild_id text primary key,
        next bigint not null
      );
      create table guild_logs (
        guild_id text not null,
        slot integer not null,
        seq bigint not null,
        level text not null,
        message text not null,
        deployment_id text,
        at text not null,
        primary key (guild_id, slot)
      );
      create index guild_logs_seq on guild_logs (guild_id, seq);
    `,
  },
  {
    version: 9,
    name: "effect journal",
    sql: `
      -- What a cluster's bus event did, one row per mutating call, so a re-run repeats none of it
      -- (storage/effect_journal.ts). Deleted when the event is marked handled, or pruned by age.
      create table guild_effects (
        guild_id text not null,
        event_id text not null,
        idx integer not null,
        op_hash text not null,
        result text not null,
        recorded_at bigint not null,
        primary key (guild_id, event_id, idx)
      );
      create index guild_effects_age on guild_effects (recorded_at);
    `,
  },
];

/** Arbitrary constant identifying flora's migration lock among advisory locks. */
const LOCK_CLASS = 0x666c6f72; // "flor"

/** Thrown when the database's migration history does not match this code's. */
export class MigrationMismatchError extends Error {
  override name = "MigrationMismatchError";
}

/** Applies missing migrations to the connection's current schema; returns the versions applied. */
export async function migrate(
  sql: postgres.Sql,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const conn = await sql.reserve();
  const applied: number[] = [];
  try {
    await conn`select pg_advisory_lock(${LOCK_CLASS}, hashtext(current_schema()))`;
    try {
      await conn`
        create table if not exists schema_migrations (
          version integer primary key,
          name text not null,
          applied_at timestamptz not null default now()
        )`;
      const rows = await conn<{ version: number; name: string }[]>`
        select version, name from schema_migrations order by version`;
      const known = new Map(rows.map((r) => [r.version, r.name]));
      for (const [version, name] of known) {
        const ours = migrations.find((m) => m.version === version);
        if (ours === undefined || ours.name !== name) {
          throw new MigrationMismatchError(
            `database has migration ${version} (${name}), which this version of flora does not know`,
          );
        }
      }
      for (const migration of migrations) {
        if (known.has(migration.version)) continue;
        // A reserved connection has no begin(); the transaction is spelled out.
        await conn.unsafe("begin");
        try {
          await conn.unsafe(migration.sql).simple();
          await conn`insert into schema_migrations (version, name)
                     values (${migration.version}, ${migration.name})`;
          await conn.unsafe("commit");
        } catch (error) {
          await conn.unsafe("rollback");
          throw error;
        }
        applied.push(migration.version);
      }
    } finally {
      await conn`select pg_advisory_unlock(${LOCK_CLASS}, hashtext(current_schema()))`;
    }
  } finally {
    conn.release();
  }
  return applied;
}
