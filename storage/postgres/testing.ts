/**
 * Test helper: a migrated PostgreSQL schema of its own per test, dropped after.
 *
 * @module
 */

import { SecretCipher } from "../secrets_crypto.ts";
import { TEST_DATABASE_URL, uniqueName } from "../testing/servers.ts";
import { connectPostgres } from "./connect.ts";
import { openPostgresStorage, type PostgresStorage } from "./open.ts";

/** Opens the PostgreSQL stores on a fresh schema for `run`, and drops the schema afterwards. */
export async function withPostgresSchema(
  run: (storage: PostgresStorage) => Promise<void>,
): Promise<void> {
  const schema = uniqueName("flora_test");
  const cipher = await SecretCipher.fromRawKey(crypto.getRandomValues(new Uint8Array(32)));
  let storage: PostgresStorage | undefined;
  try {
    storage = await openPostgresStorage(TEST_DATABASE_URL, cipher, { schema, max: 4 });
    await run(storage);
  } finally {
    await storage?.close();
    const sql = await connectPostgres(TEST_DATABASE_URL, { max: 1 });
    try {
      await sql.unsafe(`drop schema if exists ${schema} cascade`);
    } finally {
      await sql.end();
    }
  }
}
