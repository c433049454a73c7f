/**
 * Authorization end to end: users log in through Discord OAuth2 (the
 * emulator's), get API tokens, and every guild route refuses no token, a
 * revoked token, a user without Manage Server, and a guild the bot is not in.
 */

import assert from "node:assert/strict";
import { loginAs, startApiFlora } from "./helpers/api_flora.ts";

interface Operation {
  method: string;
  path: string;
}

/** Fills an OpenAPI path template with valid-looking values. */
function concrete(path: string, guild: string): string {
  return path.replace("{guild}", guild).replace("{store}", "settings").replace("{revision}", "1")
    .replace("{name}", "API_KEY")
    .replace("{id}", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
}

Deno.test({
  name: "every guild route refuses no token, a revoked token, the wrong user and the wrong guild",
  // startFlora's gateway client and sandbox processes outlive a single op; close() ends them.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await startApiFlora();
    try {
      const { users, guilds } = h.world;
      const alice = await loginAs(h, users.admin);
      const bob = await loginAs(h, users.member);
      const revoked = await loginAs(h, users.admin);
      const me = await (await h.call("/auth/me", { token: revoked })).json();
      assert.equal(me.user.id, users.admin);
      const revoke = await h.call(`/tokens/${me.tokenId}`, { method: "DELETE", token: alice });
      assert.equal(revoke.status, 200);
      // A guild alice owns but the bot is not in.
      const state = h.flora.emulator!.state;
      const noBot = state.createGuild({ name: "No Bot Here", ownerId: users.admin }).guild.id;
      state.guild(noBot).members.delete(state.botUser.id);

      const doc = await (await h.call("/openapi.json")).json();
      const operations: Operation[] = [];
      for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) {
        for (const method of Object.keys(ops)) operations.push({ method, path });
      }
      const guildOps = operations.filter((o) => o.path.includes("{guild}"));
      assert.ok(guildOps.length >= 12, `only ${guildOps.length} guild routes`);

      await t.step("guild routes", async () => {
        for (const op of guildOps) {
          const url = concrete(op.path, guilds[0].id);
          const call = async (token: string | undefined, path = url) => {
            const r = await h.call(path, { method: op.method.toUpperCase(), token });
            await r.body?.cancel();
            return r.status;
          };
          const label = `${op.method.toUpperCase()} ${op.path}`;
          assert.equal(await call(undefined), 401, `${label} without a token`);
          assert.equal(await call(revoked), 401, `${label} with a revoked token`);
          assert.equal(await call("flora_nope"), 401, `${label} with a made-up token`);
          assert.equal(await call(bob), 403, `${label} as a member without Manage Server`);
          assert.equal(
            await call(alice, concrete(op.path, noBot)),
            403,
            `${label} on a guild the bot is not in`,
          );
          if (op.path.endsWith("/stream")) continue;
          const allowed = await call(alice);
          assert.ok(
            allowed !== 401 && allowed !== 403,
            `${label} as the guild's admin: ${allowed}`,
          );
        }
      });

      await t.step("user routes", async () => {
        for (const path of ["/guilds", "/auth/me", "/tokens"]) {
          for (const token of [undefined, revoked]) {
            const r = await h.call(path, { token });
            assert.equal(r.status, 401, `${path}`);
            assert.match((await r.json()).error.message, /token|Bearer/);
          }
        }
        const aliceGuilds = (await (await h.call("/guilds", { token: alice })).json()).guilds;
        assert.deepEqual(
          aliceGuilds.map((g: { id: string }) => g.id).sort(),
          [guilds[0].id, guilds[1].id].sort(),
          "alice manages both seeded guilds, not the one without the bot",
        );
        const bobGuilds = (await (await h.call("/guilds", { token: bob })).json()).guilds;
        assert.deepEqual(bobGuilds, []);
        const operatorGuilds = (await (await h.call("/guilds", { token: h.operator })).json())
          .guilds;
        assert.equal(operatorGuilds.length, 2);
        // Bob cannot see or revoke alice's tokens.
        const aliceTokens = (await (await h.call("/tokens", { token: alice })).json()).tokens;
        assert.equal(aliceTokens.length, 2);
        const bobTokens = (await (await h.call("/tokens", { token: bob })).json()).tokens;
        assert.equal(bobTokens.length, 1);
        const steal = await h.call(`/tokens/${aliceTokens[0].id}`, {
          method: "DELETE",
          token: bob,
        });
        assert.equal(steal.status, 404);
        await steal.body?.cancel();
        // The operator token has no user to mint tokens for.
        const mint = await h.call("/tokens", {
          method: "POST",
          token: h.operator,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "x" }),
        });
        assert.equal(mint.status, 403);
        await mint.body?.cancel();
      });

      await t.step("a browser login gets a session cookie that authenticates", async () => {
        const start = await fetch(`${h.api}/auth/login`, { redirect: "manual" });
        await start.body?.cancel();
        const cookie = start.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
        const authorize = new URL(start.headers.get("location")!);
        const form = new URLSearchParams(authorize.searchParams);
        form.set("user_id", users.member);
        const approved = await fetch(authorize, { method: "POST", body: form, redirect: "manual" });
        await approved.body?.cancel();
        // Without the state cookie (another browser), the callback is refused.
        const stolen = await fetch(approved.headers.get("location")!);
        assert.equal(stolen.status, 400);
        assert.match((await stolen.json()).error.message, /another browser|expired/);
        const callback = await fetch(approved.headers.get("location")!, { headers: { cookie } });
        assert.equal(callback.status, 200, await callback.clone().text());
        const session = callback.headers.getSetCookie().find((c) => c.startsWith("flora_session="));
        assert.ok(session && /HttpOnly/i.test(session));
        const body = await callback.json();
        assert.equal(body.user.id, users.member);
        const who = await h.call("/auth/me", { headers: { cookie: session.split(";")[0] } });
        const me = await who.json();
        assert.equal(me.via, "session");
        assert.match(me.csrfToken, /^[0-9a-f]{64}$/);
        const forged = await h.call("/auth/me", { headers: { cookie: "flora_session=abc.def" } });
        assert.equal(forged.status, 401);
        await forged.body?.cancel();
        // A cookie alone does not change anything: another site's form would send it too.
        const forgedPost = await h.call("/auth/logout", {
          method: "POST",
          headers: { cookie: session.split(";")[0] },
        });
        assert.equal(forgedPost.status, 403);
        assert.equal((await forgedPost.json()).error.code, "csrf");
        const wrongToken = await h.call("/auth/logout", {
          method: "POST",
          headers: { cookie: session.split(";")[0], "x-flora-csrf": "0".repeat(64) },
        });
        assert.equal(wrongToken.status, 403);
        await wrongToken.body?.cancel();
        const out = await h.call("/auth/logout", {
          method: "POST",
          headers: { cookie: session.split(";")[0], "x-flora-csrf": me.csrfToken },
        });
        assert.equal(out.status, 200);
        await out.body?.cancel();
        const after = await h.call("/auth/me", { headers: { cookie: session.split(";")[0] } });
        assert.equal(after.status, 401);
        await after.body?.cancel();
      });
    } finally {
      await h.close();
    }
  },
});
