import { deploymentStoreContract } from "../contract/deployments_contract.ts";
import { assertEquals, assertRejects } from "../contract/assert.ts";
import { StorageInputError } from "../types.ts";
import { KvDeploymentStore } from "./deployments.ts";
import { openEmbeddedStorage } from "./open.ts";

deploymentStoreContract("embedded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-deploy-" });
  const storage = await openEmbeddedStorage(dir);
  return {
    store: storage.deployments,
    async close() {
      storage.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

Deno.test("KvDeploymentStore refuses bundles over its byte limit", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new KvDeploymentStore(kv, { maxBundleBytes: 1000 });
    await assertRejects(
      () =>
        store.create({
          guildId: "g",
          createdBy: "ci",
          bundle: { entry: "main.ts", code: "x".repeat(600), sourceMap: "y".repeat(401) },
        }),
      StorageInputError,
      "1001 bytes",
    );
  } finally {
    kv.close();
  }
});

Deno.test("KvDeploymentStore.collectOrphanChunks removes only uncommitted uploads", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new KvDeploymentStore(kv);
    const kept = await store.create({
      guildId: "g",
      createdBy: "ci",
      bundle: { entry: "main.ts", code: "x".repeat(200_000), sourceMap: "{}" },
    });
    // What a create interrupted by a crash leaves behind.
    await kv.set(["deploy", "upload", "01ORPHAN"], Date.now() - 10);
    await kv.set(["deploy", "code", "01ORPHAN", 0], new Uint8Array(10));
    await kv.set(["deploy", "map", "01ORPHAN", 0], new Uint8Array(10));
    assertEquals(await store.collectOrphanChunks(0), 1);
    const left: Deno.KvKey[] = [];
    for await (const entry of kv.list({ prefix: ["deploy"] })) left.push(entry.key);
    assertEquals(left.some((key) => key.includes("01ORPHAN")), false);
    assertEquals((await store.get(kept.id))?.bundle.code.length, 200_000);
  } finally {
    kv.close();
  }
});
