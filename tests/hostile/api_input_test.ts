/**
 * The API's loose ends an attacker with a guild of their own would try: a
 * deploy that is not sent as JSON, a guild id that differs from a real one
 * only by a leading zero, and the host's reserved stores (cron state)
 * through the KV routes. Each is refused with a status and a message that
 * says what to change, and nothing of the real guild changes.
 */

import assert from "node:assert/strict";
import { type Arena, openArena } from "./arena.ts";

const CRON_SCRIPT = `
cron("tick", "0 0 1 1 *", () => {});
createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong") })] });
`;

Deno.test({
  name: "the API refuses non-JSON deploys, padded guild ids and the host's reserved stores",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const arena: Arena = await openArena();
    const auth = { authorization: `Bearer ${arena.token}` };
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${arena.flora.apiUrl}${path}`, init);
    try {
      const [guild] = arena.guilds;
      assert.equal((await arena.deploy(guild, CRON_SCRIPT)).status, "active");
      const body = JSON.stringify({ entry: "main.ts", code: CRON_SCRIPT });

      await t.step("a deploy sent as text/plain or without a Content-Type gets 415", async () => {
        for (const type of ["text/plain", undefined]) {
          const headers: Record<string, string> = { ...auth };
          if (type) headers["content-type"] = type;
          const r = await api(`/deployments/${guild.id}`, { method: "POST", headers, body });
          assert.equal(r.status, 415);
          const { error } = await r.json();
          assert.equal(error.code, "unsupported_media_type");
          assert.match(error.message, /Content-Type: application\/json/);
        }
        assert.equal((await arena.history(guild)).length, 1, "nothing was deployed");
      });

      await t.step("a guild id with a leading zero is refused, not another guild", async () => {
        for (const path of [`/deployments/0${guild.id}`, `/kv/0${guild.id}`]) {
          const r = await api(path, { headers: auth });
          assert.equal(r.status, 400, path);
          assert.match((await r.json()).error.message, /not starting with 0/);
        }
      });

      await t.step("the reserved flora.cron store cannot be read, written or listed", async () => {
        // The host keeps the job's state there once the script loaded with a cron job.
        const deadline = Date.now() + 10_000;
        while (!(await arena.flora.guildKv.stores(guild.id)).includes("flora.cron")) {
          assert.ok(Date.now() < deadline, "the host never stored the cron job");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const entry = `/kv/${guild.id}/flora.cron/entry?key=job:tick`;
        const read = await api(entry, { headers: auth });
        assert.equal(read.status, 400);
        assert.match((await read.json()).error.message, /reserved for flora itself/);
        const write = await api(entry, {
          method: "PUT",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ value: { next: 0 } }),
        });
        assert.equal(write.status, 400);
        await write.body?.cancel();
        const list = await (await api(`/kv/${guild.id}`, { headers: auth })).json();
        assert.ok(!list.stores.includes("flora.cron"), JSON.stringify(list));
      });
    } finally {
      await arena.close();
    }
  },
});
