/**
 * Two database handles on one KV file stand in for two processes: the
 * in-process queues do not span them, so only the atomic checks keep them
 * consistent.
 */

import { assertEquals } from "../contract/assert.ts";
import { KvDeploymentStore } from "./deployments.ts";
import { KvGuildKvStore } from "./guild_kv.ts";
import { KvLogStore } from "./logs.ts";

async function twoHandles(): Promise<{ a: Deno.Kv; b: Deno.Kv; close(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "flora-two-hosts-" });
  const a = await Deno.openKv(`${dir}/flora.kv`);
  const b = await Deno.openKv(`${dir}/flora.kv`);
  return {
    a,
    b,
    async close() {
      a.close();
      b.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("two handles: concurrent creates and activations stay consistent", async () => {
  const { a, b, close } = await twoHandles();
  try {
    const stores = [new KvDeploymentStore(a), new KvDeploymentStore(b)];
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stores[i % 2].create({
          guildId: "g",
          createdBy: "ci",
          bundle: { entry: "main.ts", code: `// ${i}` },
        })),
    );
    assertEquals(
      created.map((d) => d.revision).sort((x, y) => x - y),
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    await Promise.all(created.map((d, i) => stores[i % 2].setStatus(d.id, "active")));
    const all = await stores[0].list("g");
    assertEquals(all.filter((d) => d.status === "active").length, 1);
    assertEquals((await stores[1].current("g"))?.id, all.find((d) => d.status === "active")?.id);
  } finally {
    await close();
  }
});

Deno.test("two handles: increments, quota accounting and log appends lose nothing", async () => {
  const { a, b, close } = await twoHandles();
  try {
    const kvs = [new KvGuildKvStore(a), new KvGuildKvStore(b)];
    await Promise.all(Array.from({ length: 30 }, (_, i) => kvs[i % 2].increment("g", "s", "n", 1)));
    assertEquals((await kvs[0].get("g", "s", "n"))?.value, 30);
    await Promise.all(Array.from({ length: 20 }, (_, i) => kvs[i % 2].set("g", "s", `k${i}`, i)));
    const usage = await kvs[1].usage("g");
    assertEquals(usage.entries, { s: 21 });

    const logs = [new KvLogStore(a), new KvLogStore(b)];
    const records = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) => logs[i % 2].append("g", { level: "info", message: `${i}` }),
      ),
    );
    assertEquals(new Set(records.map((r) => r.id)).size, 20);
    assertEquals((await logs[0].recent("g", 100)).length, 20);
  } finally {
    await close();
  }
});
