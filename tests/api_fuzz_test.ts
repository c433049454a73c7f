/**
 * Fuzzing the API: thousands of malformed requests (bad paths, ids, query
 * strings, bodies, headers and tokens) against a real flora. None may get a
 * 5xx, and none may change stored state.
 */

import assert from "node:assert/strict";
import { type ApiFlora, loginAs, startApiFlora } from "./helpers/api_flora.ts";

/** A small deterministic PRNG (mulberry32), so a failure can be replayed by seed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20261125;
const REQUESTS = 3000;

async function snapshot(h: ApiFlora, guilds: string[]) {
  const out: unknown[] = [];
  const get = async (path: string) => await (await h.call(path, { token: h.operator })).json();
  for (const g of guilds) {
    out.push(await get(`/deployments/${g}?limit=100`));
    const stores: string[] = (await get(`/kv/${g}`)).stores;
    out.push(stores);
    for (const s of stores) out.push(await get(`/kv/${g}/${s}?limit=1000`));
  }
  out.push(await get("/tokens"));
  return out;
}

Deno.test({
  name: "thousands of malformed requests get 4xx, never 5xx, and change nothing",
  // startFlora's gateway client and sandbox processes outlive a single op; close() ends them.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const h = await startApiFlora({ FLORA_RATE_LIMIT: "1000000" });
    try {
      const guild = h.world.guilds[0].id;
      const alice = await loginAs(h, h.world.users.admin);
      // Some state to protect.
      await h.call(`/deployments/${guild}`, {
        method: "POST",
        token: alice,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ entry: "a.ts", code: "createBot({});" }),
      }).then((r) => r.body?.cancel());
      await h.call(`/kv/${guild}/data/entry?key=k`, {
        method: "PUT",
        token: alice,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ value: { keep: true } }),
      }).then((r) => r.body?.cancel());
      const before = await snapshot(h, [guild, h.world.guilds[1].id]);

      const random = prng(SEED);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
      const junk = () =>
        pick([
          "",
          "x",
          "..",
          "%2e%2e",
          "%00",
          "%ff%fe",
          "💥",
          "a".repeat(3000),
          "-1",
          "1e999",
          "12345678901234567890123",
          "null",
          "<script>",
          "' OR 1=1 --",
          "%E0%A4%A",
          String(Math.floor(random() * 1e18)),
        ]);
      const guildSeg = () => pick([guild, junk(), "123", guild + "0", ""]);
      const paths = [
        () => `/deployments/${guildSeg()}`,
        () => `/deployments/${guildSeg()}/current`,
        () => `/deployments/${guildSeg()}/revisions/${junk()}`,
        () => `/deployments/${guildSeg()}/rollback`,
        () => `/logs/${guildSeg()}?limit=${junk()}&level=${junk()}&since=${junk()}`,
        () => `/logs/${guildSeg()}/stream?since=${junk()}&tail=${junk()}`,
        () => `/kv/${guildSeg()}`,
        () => `/kv/${guildSeg()}/${junk()}?prefix=${junk()}&cursor=${junk()}&limit=${junk()}`,
        () => `/kv/${guildSeg()}/${pick(["data", junk()])}/entry?key=${pick(["", junk()])}`,
        () => `/kv/${guildSeg()}/${pick(["data", junk()])}/entry`,
        () => `/kv/${guildSeg()}/data/import`,
        () => `/kv/${guildSeg()}/data/export`,
        () => `/tokens/${junk()}`,
        () => `/tokens`,
        () => `/auth/cli/exchange`,
        () => `/auth/callback?code=${junk()}&state=${junk()}`,
        () => `/${junk()}/${junk()}`,
        () => `/guilds?${junk()}=${junk()}`,
      ];
      const nested = (depth: number): string => depth === 0 ? "1" : `[${nested(depth - 1)}]`;
      // No body here is valid for any route, so no request may be accepted as a change.
      const bodies = [
        undefined,
        "",
        "{",
        "[]",
        "null",
        "42",
        '"str"',
        "{}",
        '{"entry": 1, "code": null}',
        '{"entry": "", "code": "x"}',
        '{"entry": "a.ts"}',
        '{"revision": "1"}',
        '{"revision": 0}',
        '{"revision": 1.5}',
        '{"id": 5}',
        '{"value": 1, "ttlMs": -1}',
        '{"value": 1, "extra": true}',
        '{"metadata": 1}',
        '{"name": ""}',
        '{"code": ""}',
        '{"__proto__": {"admin": true}}',
        nested(5000),
        '{"key": "k"}\n{"key":',
        "\u0000\u0001\u0002",
        new TextDecoder().decode(crypto.getRandomValues(new Uint8Array(64))),
      ];
      const tokens = [
        undefined,
        alice,
        alice,
        alice,
        "",
        "Bearer",
        alice + "x",
        alice.slice(0, -1),
        "flora_01ARZ3NDEKTSV4RRFFQ69G5FAV_" + "a".repeat(43),
        h.operator.slice(0, 20),
      ];
      const contentTypes = [
        "application/json",
        "text/plain",
        "application/x-ndjson",
        "multipart/form-data; boundary=x",
        "application/json; charset=utf-16",
        "",
      ];

      const statuses = new Map<number, number>();
      const failures: string[] = [];
      for (let batch = 0; batch < REQUESTS / 50; batch++) {
        await Promise.all(Array.from({ length: 50 }, async () => {
          const method = pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]);
          const path = pick(paths)();
          const body = method === "GET" || method === "HEAD" ? undefined : pick(bodies);
          const headers = new Headers();
          const token = pick(tokens);
          if (token !== undefined) {
            headers.set("authorization", pick(["Bearer ", "bearer ", "Basic ", ""]) + token);
          }
          if (body !== undefined) headers.set("content-type", pick(contentTypes));
          // Headers carry bytes only; junk is percent-encoded where it is not.
          const byteJunk = () => encodeURIComponent(junk());
          if (random() < 0.1) headers.set("last-event-id", byteJunk());
          if (random() < 0.1) headers.set("cookie", `flora_session=${byteJunk()}`);
          let status: number;
          try {
            const r = await fetch(`${h.api}${path}`, {
              method,
              headers,
              body,
              redirect: "manual",
            });
            status = r.status;
            await r.body?.cancel();
          } catch (error) {
            // A path fetch itself refuses (e.g. an invalid URL) never reached the API.
            if (error instanceof TypeError && /URL|url/.test(error.message)) return;
            throw error;
          }
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status >= 500) {
            failures.push(
              `${status} ${method} ${path.slice(0, 120)} body=${String(body).slice(0, 60)}`,
            );
          }
        }));
      }
      assert.deepEqual(failures, [], failures.slice(0, 10).join("\n"));
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      assert.ok(total >= REQUESTS * 0.95, `only ${total} requests reached the API`);
      assert.deepEqual(await snapshot(h, [guild, h.world.guilds[1].id]), before);
    } finally {
      await h.close();
    }
  },
});
