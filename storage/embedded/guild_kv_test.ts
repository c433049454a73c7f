import assert from "node:assert/strict";
import { StorageInputError } from "../types.ts";
import { assertEquals } from "../contract/assert.ts";
import { guildKvStoreContract } from "../contract/guild_kv_contract.ts";
import { waitUntilPast } from "../contract/harness.ts";
import { KvGuildKvStore } from "./guild_kv.ts";
import { openEmbeddedStorage } from "./open.ts";

guildKvStoreContract("embedded", async (quota) => {
  const dir = await Deno.makeTempDir({ prefix: "flora-gkv-" });
  const storage = await openEmbeddedStorage(dir, { guildKvQuota: quota });
  return {
    store: storage.guildKv,
    async close() {
      storage.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

Deno.test("KvGuildKvStore usage is exact after writes, deletes and expiry", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new KvGuildKvStore(kv);
    await store.set("g", "s", "key", "value"); // 3 + 18 + 7 bytes
    await store.set("g", "s", "big", "x".repeat(65_000)); // needs the overflow key
    const temp = await store.set("g", "t", "tmp", 1, { ttlMs: 5 });
    await store.delete("g", "s", "big");
    await waitUntilPast(temp.expiresAt ?? 0);
    assertEquals(await store.purgeExpired("g"), 1);
    assertEquals(await store.usage("g"), { bytes: 28, entries: { s: 1 } });
    // Nothing of the deleted or expired entries is left in the database.
    const keys: Deno.KvKey[] = [];
    for await (const entry of kv.list({ prefix: [] })) keys.push(entry.key);
    assertEquals(keys.map((k) => k[0]).sort(), ["gkv", "gkvacct", "gkvuse", "gkvuse"]);
  } finally {
    kv.close();
  }
});

Deno.test("KvGuildKvStore: a two-part record with a TTL expires and is swept completely", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new KvGuildKvStore(kv);
    const big = await store.set("g", "s", "big", "x".repeat(65_000), {
      ttlMs: 5,
      metadata: "m".repeat(1000),
    });
    const tail = await kv.get(["gkvtail", "g", "s", "big"]);
    assertEquals(tail.versionstamp, big.version, "tail written in the same commit");
    await waitUntilPast(big.expiresAt ?? 0);
    assertEquals(await store.get("g", "s", "big"), null);
    assertEquals(await store.stores("g"), []); // sweeps
    assertEquals(await store.usage("g"), { bytes: 0, entries: {} });
    const keys: Deno.KvKey[] = [];
    for await (const entry of kv.list({ prefix: [] })) keys.push(entry.key);
    assertEquals(keys, [["gkvuse", "g", "bytes"]]);
  } finally {
    kv.close();
  }
});

Deno.test("the guild KV refuses writes past its per-minute quota with a clear error", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new KvGuildKvStore(kv, { maxWritesPerMinute: 3 });
    await store.set("g1", "s", "a", 1);
    await store.increment("g1", "s", "n", 1);
    await store.delete("g1", "s", "a");
    await assert.rejects(
      () => store.set("g1", "s", "b", 2),
      (e: Error) =>
        e instanceof StorageInputError && /may write 3 times per minute/.test(e.message),
    );
    assert.equal(await store.get("g1", "s", "b"), null, "the refused write stored nothing");
    await store.set("g2", "s", "b", 2); // other guilds are unaffected
  } finally {
    kv.close();
  }
});
