/** Contract runs of the PostgreSQL backend against a real server (schema per fixture, dropped after). */

import { assertEquals, assertRejects } from "../contract/assert.ts";
import { deploymentStoreContract } from "../contract/deployments_contract.ts";
import { deploymentEventsContract } from "../contract/events_contract.ts";
import type { ContractOptions, Factory } from "../contract/harness.ts";
import { secretStoreContract } from "../contract/secrets_contract.ts";
import { tokenStoreContract } from "../contract/tokens_contract.ts";
import { CAPACITY, logStoreContract } from "../contract/logs_contract.ts";
import { SecretCipher } from "../secrets_crypto.ts";
import { postgresGate, TEST_DATABASE_URL, uniqueName } from "../testing/servers.ts";
import { connectPostgres } from "./connect.ts";
import { PgLogStore } from "./logs.ts";
import { migrate, MigrationMismatchError, MIGRATIONS } from "./migrations.ts";
import { openPostgresStorage, type PostgresStorage } from "./open.ts";

const gate = await postgresGate();
const cipher = await SecretCipher.fromRawKey(crypto.getRandomValues(new Uint8Array(32)));

/**
 * Runs a contract on one migrated schema of its own (dropped afterwards);
 * each case starts from empty tables, which is much faster than a schema per case.
 */
function onSharedSchema<T>(
  contract: (name: string, factory: Factory<T>, options: ContractOptions) => void,
  pick: (storage: PostgresStorage) => T,
): void {
  let storage: PostgresStorage | undefined;
  contract(`postgres${gate.note}`, async () => {
    if (storage === undefined) throw new Error("suite schema is not open");
    await storage.sql`truncate deployments, guild_revisions, api_tokens, guild_secrets,
      guild_logs, guild_log_seq`;
    return { store: pick(storage), close: () => {} };
  }, {
    ignore: gate.ignore,
    async around(run) {
      const schema = uniqueName("flora_test");
      try {
        storage = await openPostgresStorage(TEST_DATABASE_URL, cipher, { schema, max: 4 });
        await run();
      } finally {
        await storage?.close();
        storage = undefined;
        await dropSchema(schema); // also when opening failed half-way (e.g. in migrate)
      }
    },
  });
}

async function dropSchema(schema: string): Promise<void> {
  const sql = await connectPostgres(TEST_DATABASE_URL, { max: 1 });
  try {
    await sql.unsafe(`drop schema if exists ${schema} cascade`);
  } finally {
    await sql.end();
  }
}

onSharedSchema(deploymentStoreContract, (s) => s.deployments);
onSharedSchema(tokenStoreContract, (s) => s.tokens);
onSharedSchema(secretStoreContract, (s) => s.secrets);
onSharedSchema(deploymentEventsContract, (s) => s.events);
onSharedSchema(logStoreContract, (s) => new PgLogStore(s.sql, { capacity: CAPACITY }));

Deno.test({
  name: `postgres migrations: two hosts starting at once apply each migration once${gate.note}`,
  ignore: gate.ignore,
  async fn() {
    const schema = uniqueName("flora_test");
    const a = await connectPostgres(TEST_DATABASE_URL, { schema, max: 2 });
    const b = await connectPostgres(TEST_DATABASE_URL, { schema, max: 2 });
    try {
      const [appliedA, appliedB] = await Promise.all([migrate(a), migrate(b)]);
      assertEquals([...appliedA, ...appliedB].sort(), MIGRATIONS.map((m) => m.version));
      assertEquals(await migrate(a), [], "a second run applies nothing");
      const rows = await a<{ version: number }[]>`select version from schema_migrations order by 1`;
      assertEquals(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    } finally {
      await a.unsafe(`drop schema ${schema} cascade`);
      await a.end();
      await b.end();
    }
  },
});

Deno.test({
  name: `postgres migrations: an unknown applied migration stops start-up${gate.note}`,
  ignore: gate.ignore,
  async fn() {
    const schema = uniqueName("flora_test");
    const sql = await connectPostgres(TEST_DATABASE_URL, { schema, max: 1 });
    try {
      await migrate(sql);
      await sql`insert into schema_migrations (version, name) values (999, 'from the future')`;
      await assertRejects(() => migrate(sql), MigrationMismatchError, "999");
    } finally {
      await sql.unsafe(`drop schema ${schema} cascade`);
      await sql.end();
    }
  },
});
