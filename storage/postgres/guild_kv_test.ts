/** The guild KV contract on PostgreSQL (one migrated schema per run, emptied per case), plus its accounting. */

import { assertEquals } from "../contract/assert.ts";
import { guildKvStoreContract } from "../contract/guild_kv_contract.ts";
import { waitUntilPast } from "../contract/harness.ts";
import { postgresGate, TEST_DATABASE_URL } from "../testing/servers.ts";
import { connectPostgres } from "./connect.ts";
import { PgGuildKvStore } from "./guild_kv.ts";
import type { PostgresStorage } from "./open.ts";
import { withPostgresSchema } from "./testing.ts";

const gate = await postgresGate();
let shared: PostgresStorage | undefined;
guildKvStoreContract(`postgres${gate.note}`, async (quota) => {
  if (shared === undefined) throw new Error("suite schema is not open");
  await shared.sql`truncate guild_kv, guild_kv_usage, guild_kv_stores`;
  return { store: new PgGuildKvStore(shared.sql, quota), close: () => {} };
}, {
  ignore: gate.ignore,
  async around(run) {
    await withPostgresSchema(async (storage) => {
      shared = storage;
      try {
        await run();
      } finally {
        shared = undefined;
      }
    });
  },
});

Deno.test({
  name: `PgGuildKvStore usage is exact after writes, deletes and expiry${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async ({ sql }) => {
      const store = new PgGuildKvStore(sql);
      await store.set("g", "s", "key", "value"); // 3 + 7 bytes
      await store.set("g", "s", "big", "x".repeat(65_000));
      const temp = await store.set("g", "t", "tmp", 1, { ttlMs: 5, metadata: "m" });
      await store.delete("g", "s", "big");
      await waitUntilPast(temp.expiresAt ?? 0);
      assertEquals(await store.usage("g"), { bytes: 10 + 3 + 1 + 3, entries: { s: 1, t: 1 } });
      assertEquals(await store.purgeExpired("g"), 1);
      assertEquals(await store.usage("g"), { bytes: 10, entries: { s: 1 } });
      const rows = await sql<{ key: string }[]>`select key from guild_kv`;
      assertEquals(
        rows.map((r) => r.key),
        ["key"],
        "nothing of deleted or expired entries is left",
      );
    }),
});

Deno.test({
  name: `PgGuildKvStore: two stores on one database see each other's writes${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async (storage) => {
      // Two runtime nodes: separate pools, one database.
      const other = await connectPostgres(TEST_DATABASE_URL, {
        schema: storage.sql.options.connection.search_path as string,
        max: 4,
      });
      try {
        const a = new PgGuildKvStore(storage.sql);
        const b = new PgGuildKvStore(other);
        const base = await a.set("g", "s", "k", 0);
        const results = await Promise.all([
          ...Array.from({ length: 5 }, (_, i) => a.compareAndSet("g", "s", "k", base.version, i)),
          ...Array.from({ length: 5 }, (_, i) => b.compareAndSet("g", "s", "k", base.version, i)),
        ]);
        assertEquals(results.filter((r) => r !== null).length, 1, "one CAS wins across nodes");
        await Promise.all([
          ...Array.from({ length: 20 }, () => a.increment("g", "s", "n", 1)),
          ...Array.from({ length: 20 }, () => b.increment("g", "s", "n", 1)),
        ]);
        assertEquals((await b.get("g", "s", "n"))?.value, 40);
      } finally {
        await other.end();
      }
    }),
});
