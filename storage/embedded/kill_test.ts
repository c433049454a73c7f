import assert from "node:assert/strict";
import { openEmbeddedStorage } from "./open.ts";

const GUILD = "100000000000000001";

Deno.test({
  name: "kill -9 during a burst of KV writes loses no acknowledged write and corrupts nothing",
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "flora-kill-" });
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("./testdata/kv_writer.ts", import.meta.url).pathname, dataDir],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const acknowledged: string[] = [];
      let buffer = "";
      const decoder = new TextDecoder();
      for await (const chunk of child.stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        acknowledged.push(...lines);
        if (acknowledged.length >= 300) {
          child.kill("SIGKILL");
          break;
        }
      }
      await child.status;

      const storage = await openEmbeddedStorage(dataDir);
      try {
        for (const key of acknowledged) {
          const entry = await storage.guildKv.get(GUILD, "burst", key);
          const i = Number(key.slice(1));
          assert.deepEqual(
            entry?.value,
            { i, text: "x".repeat(i % 500) },
            `lost or corrupt: ${key}`,
          );
        }
        // The store is still fully usable: listing walks every entry, writes succeed.
        let count = 0;
        let cursor: string | undefined;
        do {
          const page = await storage.guildKv.list(GUILD, "burst", { cursor, limit: 1000 });
          count += page.entries.length;
          cursor = page.cursor;
        } while (cursor);
        assert.ok(count >= acknowledged.length);
        await storage.guildKv.set(GUILD, "burst", "after", true);
        assert.equal((await storage.guildKv.get(GUILD, "burst", "after"))?.value, true);
      } finally {
        storage.close();
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
