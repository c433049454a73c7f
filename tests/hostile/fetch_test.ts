/**
 * Outbound fetch from hostile scripts, end to end through a real flora: the
 * script's `fetch` goes through the host's `fetch` operation, which refuses
 * everything unless the deployment names the host, refuses loopback,
 * private and metadata addresses however they are written (or whatever a
 * name resolves to), limits size and time, and fills in secrets only toward
 * the hosts they allow. The neighbouring guilds keep answering throughout.
 *
 * The operator allows one loopback address (127.0.0.2, where the test's own
 * server listens) through `FLORA_FETCH_ALLOW_PRIVATE`; 127.0.0.1 and `::1`
 * stay refused.
 */

import assert from "node:assert/strict";
import { type Arena, HEALTHY, openArena } from "./arena.ts";

const FETCHER = `
const show = async (ctx, run) => {
  try {
    const res = await run();
    const text = await res.text();
    await ctx.reply("ok " + res.status + " " + text.slice(0, 80));
  } catch (error) {
    await ctx.reply("error " + String(error && error.message).replace(/\\s+/g, " ").slice(0, 300));
  }
};
createBot({ prefixCommands: [
  prefix({ name: "get", run: (ctx) => show(ctx, () => fetch(ctx.argv[0])) }),
  prefix({ name: "auth", run: (ctx) => show(ctx, () =>
    fetch(ctx.argv[0], { headers: { authorization: "Bearer " + secret("API_TOKEN") } })) }),
  prefix({ name: "post", run: (ctx) => show(ctx, () =>
    fetch(ctx.argv[0], { method: "POST", body: JSON.stringify({ token: secret("API_TOKEN") }) })) }),
  prefix({ name: "peek", run: async (ctx) => {
    // All a script can hold is the marker; the request it builds carries the marker too.
    const request = new Request("http://example.com", { headers: { x: secret("API_TOKEN") } });
    await ctx.reply(secret("API_TOKEN") + " " + request.headers.get("x"));
  } }),
] });
`;

const SECRET_VALUE = "tok-" + crypto.randomUUID();

Deno.test({
  name:
    "hostile scripts: outbound fetch only to allowed hosts, never to private addresses; secrets only where allowed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const recorded: { path: string; authorization: string | null; body: string }[] = [];
    const server = Deno.serve({ hostname: "127.0.0.2", port: 0, onListen() {} }, async (req) => {
      const path = new URL(req.url).pathname;
      recorded.push({
        path,
        authorization: req.headers.get("authorization"),
        body: await req.text(),
      });
      if (path === "/big") return new Response(new Uint8Array(256 * 1024).fill(65));
      if (path === "/slow") {
        await new Promise((r) => setTimeout(r, 3_000));
        return new Response("too late");
      }
      // Never echoes what it received: the test checks what arrived here.
      return new Response(`hello from ${path}`);
    });
    const port = server.addr.port;
    const local = `http://127.0.0.2:${port}`;
    const arena: Arena = await openArena({
      FLORA_EVENT_TIMEOUT_MS: "6000",
      FLORA_FETCH_ALLOW_PRIVATE: "127.0.0.2/32",
      FLORA_FETCH_TIMEOUT_MS: "1000",
      FLORA_FETCH_MAX_RESPONSE_BYTES: "65536",
    });
    // Each ask is a reply in the fetcher's channel: at Discord's 5 per 5 s (emulated) every sixth
    // one waited out the window (5 s, three times). Outbound fetch is under test, not Discord's
    // limits (flora's own fetch budget still applies).
    await arena.emu.setRateLimits({ enabled: false });
    try {
      const [fetcher, neighbour, remote] = arena.guilds;
      for (const g of [neighbour, remote]) {
        assert.equal((await arena.deploy(g, HEALTHY)).status, "active");
      }
      const ask = async (command: string) => {
        const reply = await arena.ask(fetcher, command);
        await arena.assertNeighboursAnswer();
        return reply;
      };

      await t.step("fetch is off unless the deployment allows hosts", async () => {
        assert.equal((await arena.deploy(fetcher, FETCHER)).status, "active");
        assert.match(await ask(`!get ${local}/hello`), /^error .*outbound fetch is off/);
        assert.equal(recorded.length, 0);
      });

      const hosts = [
        `127.0.0.2:${port}`,
        `127.0.0.1:${port}`,
        `localhost:${port}`,
        "127.0.0.1",
        "169.254.169.254",
        "10.0.0.1",
        "[::1]",
        "[::ffff:7f00:1]",
      ];
      await t.step("an allowed host answers (through the operator's allowance)", async () => {
        const deployed = await arena.deploy(fetcher, FETCHER, { fetchHosts: hosts });
        assert.equal(deployed.status, "active", JSON.stringify(deployed));
        assert.equal(await ask(`!get ${local}/hello`), "ok 200 hello from /hello");
        assert.match(
          await ask("!get http://example.com/"),
          /not one of this deployment's fetch hosts/,
        );
      });

      await t.step(
        "loopback, private and metadata addresses are refused however written",
        async () => {
          const before = recorded.length;
          const refused: [string, RegExp][] = [
            [`http://localhost:${port}/`, /loopback name/],
            [`http://127.0.0.1:${port}/`, /loopback address/],
            ["http://169.254.169.254/latest/meta-data/", /link-local/],
            ["http://10.0.0.1/", /private address/],
            ["http://[::1]/", /loopback address/],
            ["http://[::ffff:127.0.0.1]/", /loopback address/],
            ["http://2130706433/", /loopback address/], // decimal
            ["http://0177.0.0.1/", /loopback address/], // octal
            ["http://0x7f.0.0.1/", /loopback address/], // hex
          ];
          for (const [url, why] of refused) {
            assert.match(await arena.ask(fetcher, `!get ${url}`), why, url);
          }
          assert.equal(recorded.length, before);
          await arena.assertNeighboursAnswer();
        },
      );

      await t.step("an oversized response is cut with an error", async () => {
        assert.match(await ask(`!get ${local}/big`), /^error .*larger than 65536 bytes/);
      });

      await t.step("a slow response times out", async () => {
        assert.match(await ask(`!get ${local}/slow`), /^error .*took longer than 1000 ms/);
      });

      await t.step(
        "a secret goes only to the host it allows, and the script never sees it",
        async () => {
          const put = await fetch(`${arena.flora.apiUrl}/secrets/${fetcher.id}/API_TOKEN`, {
            method: "PUT",
            headers: { authorization: `Bearer ${arena.token}`, "content-type": "application/json" },
            body: JSON.stringify({ value: SECRET_VALUE, allowedHosts: [`127.0.0.2:${port}`] }),
          });
          assert.equal(put.status, 200, await put.clone().text());
          assert.deepEqual((await put.json()).secret.allowedHosts, [`127.0.0.2:${port}`]);

          assert.equal(await ask(`!auth ${local}/record`), "ok 200 hello from /record");
          assert.equal(recorded.at(-1)?.authorization, `Bearer ${SECRET_VALUE}`);
          assert.equal(await ask(`!post ${local}/record`), "ok 200 hello from /record");
          assert.deepEqual(JSON.parse(recorded.at(-1)!.body), { token: SECRET_VALUE });

          // Toward a host the deployment allows but the secret does not: the whole request is refused.
          const before = recorded.length;
          assert.match(
            await ask(`!auth http://example.com/`),
            /not one of this deployment's fetch hosts/,
          );
          assert.match(
            await ask(`!auth http://127.0.0.1:${port}/`),
            /may not be sent to 127\.0\.0\.1/,
          );
          assert.equal(recorded.length, before);

          const peek = await ask("!peek");
          assert.equal(peek, "{{flora-secret:API_TOKEN}} {{flora-secret:API_TOKEN}}");
          const logs = (await arena.logs(fetcher)).join("\n");
          assert.ok(!logs.includes(SECRET_VALUE), "the secret is not in the guild's logs");
        },
      );
    } finally {
      await arena.close();
      await server.shutdown();
    }
  },
});
