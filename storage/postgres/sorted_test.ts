/** The sorted-set contract on a real PostgreSQL server (a schema of its own, dropped after). */

import { guildSortedStoreContract } from "../contract/sorted_contract.ts";
import { postgresGate, TEST_DATABASE_URL, uniqueName } from "../testing/servers.ts";
import { connectPostgres } from "./connect.ts";
import { migrate } from "./migrations.ts";
import { PgSortedBackend } from "./sorted.ts";
import { CheckedSortedStore } from "../sorted_store.ts";
import type postgres from "postgres";

const gate = await postgresGate();
let sql: postgres.Sql | undefined;

guildSortedStoreContract(`postgres${gate.note}`, async (quota) => {
  if (sql === undefined) throw new Error("suite schema is not open");
  await sql`truncate guild_sorted`;
  return { store: new CheckedSortedStore(new PgSortedBackend(sql), quota), close: () => {} };
}, {
  ignore: gate.ignore,
  async around(run) {
    const schema = uniqueName("flora_test");
    try {
      sql = await connectPostgres(TEST_DATABASE_URL, { schema, max: 4 });
      await migrate(sql);
      await run();
    } finally {
      await sql?.unsafe(`drop schema if exists ${schema} cascade`);
      await sql?.end();
      sql = undefined;
    }
  },
});
