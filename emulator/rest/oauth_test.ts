import assert from "node:assert/strict";
import { startEmulator } from "../mod.ts";
import { oauthClientSecret } from "./oauth.ts";

Deno.test("emulated Discord OAuth2: authorize, token exchange, /users/@me and guilds with Bearer", async () => {
  const emu = await startEmulator({ rateLimits: { enabled: false } });
  try {
    const world = emu.seeded!;
    const api = `${emu.restBase}/v10`;
    const redirect = "http://127.0.0.1:9/cb";
    const params = new URLSearchParams({
      client_id: emu.applicationId,
      response_type: "code",
      redirect_uri: redirect,
      scope: "identify guilds",
      state: "xyz",
    });
    const page = await fetch(`${api}/oauth2/authorize?${params}`);
    assert.match(await page.text(), /Log in as Alice/);
    const bad = await fetch(`${api}/oauth2/authorize?client_id=1`);
    assert.equal(bad.status, 400);
    await bad.body?.cancel();

    params.set("user_id", world.users.member);
    const approved = await fetch(`${api}/oauth2/authorize`, {
      method: "POST",
      body: params,
      redirect: "manual",
    });
    await approved.body?.cancel();
    const back = new URL(approved.headers.get("location")!);
    assert.equal(back.origin + back.pathname, redirect);
    assert.equal(back.searchParams.get("state"), "xyz");
    const code = back.searchParams.get("code")!;

    const exchange = (form: Record<string, string>) =>
      fetch(`${api}/oauth2/token`, { method: "POST", body: new URLSearchParams(form) });
    const wrongSecret = await exchange({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirect,
      client_id: emu.applicationId,
      client_secret: "nope",
    });
    assert.equal(wrongSecret.status, 401);
    assert.equal((await wrongSecret.json()).error, "invalid_client");
    const granted = await exchange({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirect,
      client_id: emu.applicationId,
      client_secret: oauthClientSecret(emu.token),
    });
    const grant = await granted.json();
    assert.equal(grant.token_type, "Bearer");
    assert.equal(grant.scope, "identify guilds");
    assert.equal(grant.expires_in, 604800);
    const reused = await exchange({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirect,
      client_id: emu.applicationId,
      client_secret: oauthClientSecret(emu.token),
    });
    assert.equal((await reused.json()).error, "invalid_grant", "codes are single use");

    const bearer = { authorization: `Bearer ${grant.access_token}` };
    const me = await (await fetch(`${api}/users/@me`, { headers: bearer })).json();
    assert.equal(me.id, world.users.member);
    assert.equal(me.bot, undefined);
    const guilds = await (await fetch(`${api}/users/@me/guilds`, { headers: bearer })).json();
    assert.equal(guilds.length, 2);
    assert.equal(guilds[0].owner, false);
    assert.equal(BigInt(guilds[0].permissions) & (1n << 3n), 0n, "a member is no administrator");
    // The bot token still sees the bot.
    const bot = await (await fetch(`${api}/users/@me`, {
      headers: { authorization: `Bot ${emu.token}` },
    })).json();
    assert.equal(bot.id, emu.botUserId);
    const unknown = await fetch(`${api}/users/@me`, { headers: { authorization: "Bearer nope" } });
    assert.equal(unknown.status, 401);
    await unknown.body?.cancel();
  } finally {
    await emu.close();
  }
});
