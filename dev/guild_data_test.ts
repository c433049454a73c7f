import assert from "node:assert/strict";
import { openEmbeddedStorage } from "../storage/embedded/open.ts";
import { carryOverGuildData } from "./guild_data.ts";

Deno.test("a restarted dev session's new guild gets the old guild's KV data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-dev-guild-" });
  const storage = await openEmbeddedStorage(dir);
  try {
    const kv = storage.guildKv;
    assert.equal(await carryOverGuildData(kv, dir, "100000000000000001"), 0);
    await kv.set("100000000000000001", "tags", "a", { n: 1 }, { metadata: "m" });
    await kv.set("100000000000000001", "tags", "b", 2);
    await kv.set("100000000000000001", "flora.cron", "job:x", 1);
    assert.equal(await carryOverGuildData(kv, dir, "100000000000000002"), 2);
    const moved = await kv.get("100000000000000002", "tags", "a");
    assert.deepEqual([moved?.value, moved?.metadata], [{ n: 1 }, "m"]);
    assert.equal((await kv.get("100000000000000002", "tags", "b"))?.value, 2);
    assert.deepEqual(await kv.stores("100000000000000001"), ["flora.cron"]);
    assert.deepEqual(await kv.stores("100000000000000002"), ["tags"]);
    // The same guild again: nothing to move.
    assert.equal(await carryOverGuildData(kv, dir, "100000000000000002"), 0);
  } finally {
    storage.close();
    await Deno.remove(dir, { recursive: true });
  }
});
