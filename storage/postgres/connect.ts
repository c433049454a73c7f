/**
 * Opens a postgres.js pool, optionally confined to one schema (tests use a
 * schema per run so parallel test files cannot collide).
 *
 * @module
 */

import postgres from "postgres";
import { answersWithin } from "../backend_deadline.ts";

export interface PostgresOptions {
  /** Schema to create (if missing) and use as `search_path`. Default: the server's default. */
  schema?: string;
  /** Pool size. Default 10. */
  max?: number;
  /** How long the server has to answer the first query, ms (default 5,000). */
  timeoutMs?: number;
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** A pool whose connections use `options.schema`, which exists once this resolves. */
export async function connectPostgres(
  url: string,
  options: PostgresOptions = {},
): Promise<postgres.Sql> {
  const schema = options.schema;
  if (schema !== undefined && !SCHEMA.test(schema)) {
    throw new Error(`schema name ${JSON.stringify(schema)} must match ${SCHEMA}`);
  }
  const sql = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: 5,
    onnotice: () => {},
    ...(schema === undefined ? {} : { connection: { search_path: schema } }),
  });
  // The pool connects lazily: the first query finds out whether anyone answers.
  await answersWithin("PostgreSQL", url, sql`select 1`, {
    timeoutMs: options.timeoutMs,
    abandon: () => sql.end({ timeout: 0 }),
  });
  if (schema !== undefined) {
    try {
      await sql.unsafe(`create schema if not exists ${schema}`);
    } catch (error) {
      // Two hosts creating the same schema at once: one sees a unique violation; the schema exists.
      if (!(error instanceof postgres.PostgresError && error.code === "23505")) {
        await sql.end();
        throw error;
      }
    }
  }
  return sql;
}
