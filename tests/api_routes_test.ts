/**
 * The API's routes against a real flora (storage, sandboxes, emulator):
 * deploy history and rollback, logs (recent and live SSE with resumption),
 * KV with export/import, the OpenAPI document, and the hardening every
 * route shares.
 */

import assert from "node:assert/strict";
import { EmulatorClient } from "../emulator/client.ts";
import { type ApiFlora, loginAs, startApiFlora } from "./helpers/api_flora.ts";

const V1 = `createBot({}); console.log("v1 loaded");`;
const V2 = `createBot({}); console.log("v2 loaded");`;
const BROKEN = `throw new Error("broken at load");`;

function json(h: ApiFlora, token: string) {
  return async (method: string, path: string, body?: unknown) => {
    const r = await h.call(path, {
      method,
      token,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    return { status: r.status, body: await r.json(), headers: r.headers };
  };
}

/** Reads SSE events from a response until `count` log events arrived. */
async function readEvents(response: Response, count: number) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { id: string; data: { message: string } }[] = [];
  let buffer = "";
  try {
    while (events.length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) events.push({ id, data: JSON.parse(data) });
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

Deno.test({
  name: "API routes: deployments, logs, KV, OpenAPI and hardening",
  // startFlora's gateway client and sandbox processes outlive a single op; close() ends them.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await startApiFlora({ FLORA_CORS_ORIGINS: "https://dash.example.com" });
    let stopped = false;
    try {
      const guild = h.world.guilds[0].id;
      const alice = await loginAs(h, h.world.users.admin);
      const call = json(h, alice);

      await t.step("deploy, history with who/when/status, one revision, rollback", async () => {
        const one = await call("POST", `/deployments/${guild}`, { entry: "a.ts", code: V1 });
        assert.equal(one.status, 201, JSON.stringify(one.body));
        assert.equal(one.body.deployment.createdBy, `alice (${h.world.users.admin})`);
        assert.deepEqual(one.body.deployment.fetchHosts, []);
        const two = await call("POST", `/deployments/${guild}`, {
          entry: "a.ts",
          code: V2,
          fetchHosts: ["API.example.com", "*.example.org:8443"],
        });
        assert.equal(two.body.deployment.revision, 2);
        assert.deepEqual(two.body.deployment.fetchHosts, ["api.example.com", "*.example.org:8443"]);
        const badHosts = await call("POST", `/deployments/${guild}`, {
          entry: "a.ts",
          code: V2,
          fetchHosts: ["https://api.example.com/v1"],
        });
        assert.equal(badHosts.status, 400);
        assert.match(JSON.stringify(badHosts.body), /is invalid: use a host name/);
        const bad = await call("POST", `/deployments/${guild}`, { entry: "a.ts", code: BROKEN });
        assert.equal(bad.status, 422);
        assert.match(bad.body.deployment.error, /broken at load/);
        const history = await call("GET", `/deployments/${guild}?limit=10`);
        assert.deepEqual(
          history.body.deployments.map((d: { revision: number; status: string }) =>
            `${d.revision}:${d.status}`
          ),
          ["3:failed", "2:active", "1:superseded"],
        );
        const rev1 = await call("GET", `/deployments/${guild}/revisions/1?code=true`);
        assert.equal(rev1.body.deployment.code, V1);
        const missing = await call("GET", `/deployments/${guild}/revisions/9`);
        assert.equal(missing.status, 404);
        assert.match(missing.body.error.message, /no revision 9/);
        const back = await call("POST", `/deployments/${guild}/rollback`, { revision: 1 });
        assert.equal(back.status, 201, JSON.stringify(back.body));
        assert.equal(back.body.deployment.revision, 4);
        const current = await call("GET", `/deployments/${guild}/current`);
        assert.equal(current.body.deployment.id, back.body.deployment.id);
        const rolledCode = await call("GET", `/deployments/${guild}/revisions/4?code=true`);
        assert.equal(rolledCode.body.deployment.code, V1);
        const nothing = await call("POST", `/deployments/${guild}/rollback`, { revision: 99 });
        assert.equal(nothing.status, 404);
        const both = await call("POST", `/deployments/${guild}/rollback`, { revision: 1, id: "x" });
        assert.equal(both.status, 400);
      });

      await t.step(
        "logs: recent with limit and level, live stream resumes by Last-Event-ID",
        async () => {
          let recent = await call("GET", `/logs/${guild}?limit=100`);
          for (let i = 0; i < 50 && recent.body.logs.length < 4; i++) {
            await new Promise((r) => setTimeout(r, 50));
            recent = await call("GET", `/logs/${guild}?limit=100`);
          }
          const messages = recent.body.logs.map((l: { message: string }) => l.message);
          assert.ok(messages.includes("v1 loaded"), messages.join("\n"));
          const errors = await call("GET", `/logs/${guild}?level=error`);
          assert.ok(errors.body.logs.length >= 1);
          assert.ok(errors.body.logs.every((l: { level: string }) => l.level === "error"));
          const limited = await call("GET", `/logs/${guild}?limit=1`);
          assert.equal(limited.body.logs.length, 1);
          assert.equal((await call("GET", `/logs/${guild}?limit=0`)).status, 400);

          const stream = await h.call(`/logs/${guild}/stream`, { token: alice });
          assert.equal(stream.headers.get("content-type"), "text/event-stream");
          const live = readEvents(stream, 2);
          // Deploying logs "v2 loaded" and the runtime's "is live" line.
          await call("POST", `/deployments/${guild}`, { entry: "a.ts", code: V2 });
          const got = await live;
          assert.equal(got.length, 2);
          assert.ok(got.some((e) => e.data.message === "v2 loaded"), JSON.stringify(got));

          // Reconnect after the first event: the second arrives again, nothing older.
          const resumed = await h.call(`/logs/${guild}/stream`, {
            token: alice,
            headers: { "last-event-id": got[0].id },
          });
          const again = await readEvents(resumed, 1);
          assert.equal(again[0].id, got[1].id);
          const badId = await h.call(`/logs/${guild}/stream`, {
            token: alice,
            headers: { "last-event-id": "yesterday" },
          });
          assert.equal(badId.status, 400);
          await badId.body?.cancel();
        },
      );

      await t.step(
        "KV: put, get, list with prefix and cursor, delete, export, import",
        async () => {
          const base = `/kv/${guild}/settings`;
          for (let i = 0; i < 5; i++) {
            const put = await call("PUT", `${base}/entry?key=user/${i}`, { value: { n: i } });
            assert.equal(put.status, 200, JSON.stringify(put.body));
          }
          await call("PUT", `${base}/entry?key=other`, { value: "x", metadata: { by: "api" } });
          const got = await call("GET", `${base}/entry?key=user/3`);
          assert.deepEqual(got.body.entry.value, { n: 3 });
          const page1 = await call("GET", `${base}?prefix=user/&limit=3`);
          assert.equal(page1.body.entries.length, 3);
          const page2 = await call(
            "GET",
            `${base}?prefix=user/&limit=3&cursor=${encodeURIComponent(page1.body.cursor)}`,
          );
          assert.equal(page2.body.entries.length, 2);
          assert.equal(page2.body.cursor, undefined);
          assert.ok((await call("GET", `/kv/${guild}`)).body.stores.includes("settings"));
          assert.equal((await call("DELETE", `${base}/entry?key=user/4`)).body.deleted, true);
          assert.equal((await call("GET", `${base}/entry?key=user/4`)).status, 404);

          const exported = await h.call(`${base}/export`, { token: alice });
          assert.equal(exported.headers.get("content-type"), "application/x-ndjson");
          const lines = (await exported.text()).trim().split("\n").map((l) => JSON.parse(l));
          assert.equal(lines.length, 5);
          assert.deepEqual(lines.find((l) => l.key === "other").metadata, { by: "api" });

          const ndjson = lines.map((l) => JSON.stringify(l)).join("\n");
          const importTo = (store: string, body: string) =>
            h.call(`/kv/${guild}/${store}/import`, {
              method: "POST",
              token: alice,
              headers: { "content-type": "application/x-ndjson" },
              body,
            });
          const bad = await importTo("copy", ndjson + '\n{"key":"k"}\n');
          assert.equal(bad.status, 400);
          assert.match((await bad.json()).error.message, /line 6: value/);
          assert.equal((await call("GET", `/kv/${guild}/copy`)).body.entries.length, 0);
          const ok = await importTo("copy", ndjson);
          assert.deepEqual(await ok.json(), { imported: 5, skipped: 0 });
          const copy = await call("GET", `/kv/${guild}/copy?limit=100`);
          assert.deepEqual(
            copy.body.entries.map((e: { key: string }) => e.key),
            lines.map((l) => l.key),
          );
          const badValue = await call("PUT", `${base}/entry?key=k`, { value: 1, ttlMs: -5 });
          assert.equal(badValue.status, 400);
          assert.match(badValue.body.error.message, /ttlMs/);
          const badStore = await call("GET", `/kv/${guild}/no%20spaces`);
          assert.equal(badStore.status, 400);
          assert.match(badStore.body.error.message, /store/);
        },
      );

      await t.step(
        "health counts the guilds the gateway sees, and those with a live script",
        async () => {
          const health = await (await h.call("/health")).json();
          // The emulator's two seeded guilds, whatever is deployed to them.
          assert.equal(health.guilds, 2);
          assert.equal(typeof health.activeGuilds, "number");
          assert.ok(health.activeGuilds <= health.guilds);
        },
      );

      await t.step("usage: a guild's events, Discord calls, 429s, KV ops and errors", async () => {
        const emu = new EmulatorClient(h.flora.emulator!.url);
        const channel = h.world.guilds[0].channels.general;
        const script = `createBot({ prefixCommands: [
          prefix({ name: "count", run: async (ctx) => {
            await kv("usage").increment("n", 1);
            await ctx.reply("counted");
          } }),
          prefix({ name: "boom", run: () => { throw new Error("boom"); } }),
        ] });`;
        const deployed = await call("POST", `/deployments/${guild}`, {
          entry: "u.ts",
          code: script,
        });
        assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
        const before = (await call("GET", `/guilds/${guild}/usage`)).body.totals;
        // Discord rate-limits the first reply once: Discordeno retries it, the guild is charged.
        await emu.restFault({ route: "POST /channels/:id/messages", status: 429, count: 1 });
        const user = h.world.users.member;
        await emu.sendMessage({
          guildId: guild,
          channelId: channel,
          userId: user,
          content: "!count",
        });
        await emu.waitForAction((a) =>
          a.route === "POST /channels/:id/messages" && a.status === 200 &&
          (a.body as { content?: string }).content === "counted"
        );
        await emu.sendMessage({
          guildId: guild,
          channelId: channel,
          userId: user,
          content: "!boom",
        });
        let usage = (await call("GET", `/guilds/${guild}/usage`)).body;
        for (let i = 0; i < 100 && usage.totals.errors === before.errors; i++) {
          await new Promise((r) => setTimeout(r, 50));
          usage = (await call("GET", `/guilds/${guild}/usage`)).body;
        }
        assert.equal(usage.guildId, guild);
        assert.equal(usage.hours.length, 24);
        assert.equal(usage.totals.eventsHandled - before.eventsHandled >= 2, true);
        assert.equal(usage.totals.errors - before.errors, 1);
        assert.equal(usage.totals.kvOps - before.kvOps, 1);
        assert.equal(usage.totals.discordCalls - before.discordCalls, 1);
        assert.equal(usage.totals.discord429 - before.discord429, 1);
        assert.ok(usage.totals.cpuMs > 0, `cpuMs ${usage.totals.cpuMs}`);
        // The other guild was charged nothing.
        const other = await call("GET", `/guilds/${h.world.guilds[1].id}/usage`);
        assert.equal(other.body.totals.eventsHandled, 0);
        assert.equal(other.body.totals.discord429, 0);
        const member = await loginAs(h, h.world.users.member);
        const refused = await json(h, member)("GET", `/guilds/${guild}/usage`);
        assert.equal(refused.status, 403);
      });

      await t.step("a revision's project files come back exactly as written", async () => {
        const files = ["createBot({});\r\n// main\n", "export type Unused = 1;\n"];
        const sourceMap = JSON.stringify({
          version: 3,
          sources: ["flora:main.ts", "flora:lib/types.ts"],
          sourcesContent: files,
          mappings: "",
        });
        const d = await call("POST", `/deployments/${guild}`, {
          entry: "main.ts",
          code: "createBot({});",
          sourceMap,
        });
        assert.equal(d.status, 201, JSON.stringify(d.body));
        const rev = d.body.deployment.revision;
        const got = await call("GET", `/deployments/${guild}/revisions/${rev}/sources`);
        assert.equal(got.status, 200);
        assert.deepEqual(got.body, {
          revision: rev,
          entry: "main.ts",
          files: [{ path: "main.ts", content: files[0] }, {
            path: "lib/types.ts",
            content: files[1],
          }],
        });
        const missing = await call("GET", `/deployments/${guild}/revisions/9999/sources`);
        assert.equal(missing.status, 404);
      });

      await t.step("OpenAPI document and the reference page", async () => {
        const doc = await (await h.call("/openapi.json")).json();
        assert.equal(doc.openapi, "3.1.0");
        const put = doc.paths["/kv/{guild}/{store}/entry"].put;
        assert.equal(put.requestBody.content["application/json"].schema.required[0], "value");
        assert.ok(put.parameters.some((p: { name: string }) => p.name === "key"));
        assert.ok(doc.paths["/guilds/{guild}/usage"].get);
        // Every status a route can answer is listed, including the router's own.
        const guilds = doc.paths["/guilds"].get.responses;
        assert.deepEqual(Object.keys(guilds).sort(), ["200", "401", "429", "502", "503"]);
        const deploy = doc.paths["/deployments/{guild}"].post.responses;
        for (
          const status of ["201", "400", "401", "403", "413", "415", "422", "429", "502", "503"]
        ) {
          assert.ok(deploy[status], `POST /deployments/{guild} documents ${status}`);
        }
        const page = await h.call("/docs");
        assert.match(await page.text(), /flora API reference/);
      });

      await t.step("hardening: headers, CORS, request ids, limits", async () => {
        const health = await h.call("/health");
        assert.equal(health.headers.get("x-content-type-options"), "nosniff");
        assert.ok(health.headers.get("x-request-id"));
        await health.body?.cancel();
        const allowed = await h.call("/health", {
          method: "OPTIONS",
          headers: { origin: "https://dash.example.com", "access-control-request-method": "GET" },
        });
        assert.equal(
          allowed.headers.get("access-control-allow-origin"),
          "https://dash.example.com",
        );
        await allowed.body?.cancel();
        const denied = await h.call("/health", { headers: { origin: "https://evil.example" } });
        assert.equal(denied.headers.get("access-control-allow-origin"), null);
        await denied.body?.cancel();
        const error = await call("GET", `/deployments/123`);
        assert.equal(error.status, 400);
        assert.equal(error.body.error.requestId, error.headers.get("x-request-id"));
        assert.match(error.body.error.message, /guild: must be a Discord id/);
        const huge = await h.call(`/kv/${guild}/settings/entry?key=big`, {
          method: "PUT",
          token: alice,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ value: "x".repeat(2 * 1024 * 1024) }),
        });
        assert.equal(huge.status, 413);
        assert.match((await huge.json()).error.message, /limit of 1048576 bytes/);

        const bob = await loginAs(h, h.world.users.member);
        let limited: Response | undefined;
        for (let i = 0; i < 400 && !limited; i++) {
          const r = await h.call("/auth/me", { token: bob });
          if (r.status === 429) limited = r;
          else await r.body?.cancel();
        }
        assert.ok(limited, "300 requests a minute per token");
        assert.ok(Number(limited.headers.get("retry-after")) >= 1);
        assert.match((await limited.json()).error.message, /too many requests/);
        // Guessing tokens is limited too (per address).
        let guessing: Response | undefined;
        for (let i = 0; i < 400 && !guessing; i++) {
          const r = await h.call("/auth/me", { token: `flora_guess_${i}` });
          if (r.status === 429) guessing = r;
          else await r.body?.cancel();
        }
        assert.ok(guessing, "bad tokens are rate limited by address");
        await guessing.body?.cancel();
        // Another token is not affected.
        const other = await h.call("/auth/me", { token: alice });
        assert.equal(other.status, 200);
        await other.body?.cancel();
      });

      await t.step("stopping flora ends open log streams instead of waiting on them", async () => {
        const open = await h.call(`/logs/${guild}/stream`, { token: alice });
        const reader = open.body!.getReader();
        await reader.read();
        stopped = true;
        await h.close();
        while (!(await reader.read()).done) { /* drain until the server ends the stream */ }
      });
    } finally {
      if (!stopped) await h.close();
    }
  },
});
