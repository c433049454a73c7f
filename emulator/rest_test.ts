/**
 * REST behavior as Discord documents it: auth, error bodies, schema
 * validation (50035), rate limits and 429s, permissions (50013/50001),
 * members/roles/bans, reactions, pins, threads, DMs, fault injection.
 */

import { EmulatorClient, startEmulator } from "./mod.ts";
import {
  api,
  assert,
  assertEquals,
  assertRejects,
  type Reply,
  startTestBot,
} from "./test_helpers.ts";
import type { ApiChannel, ApiGuildMember, ApiMessage } from "./types.ts";

// Tests identify again within seconds; Discord's 5 s identify spacing is off (gateway_test checks it).
const FAST = { heartbeatIntervalMs: 1100, identifyIntervalMs: 0 };

Deno.test("auth: 401 without or with a wrong token; 404 shape for unknown routes", async () => {
  const emu = await startEmulator(FAST);
  try {
    const none = await api(emu, "GET", "/users/@me", undefined, null);
    assertEquals(none.status, 401);
    assertEquals(none.body, { message: "401: Unauthorized", code: 0 });
    const wrong = await api(emu, "GET", "/users/@me", undefined, "Bot nope");
    assertEquals(wrong.status, 401);
    const me = await api(emu, "GET", "/users/@me");
    assertEquals(me.body.id, emu.botUserId);
    const app = await api(emu, "GET", "/oauth2/applications/@me");
    assertEquals(app.body.id, emu.applicationId);
    const missing = await api(emu, "GET", "/nope");
    assertEquals(missing.body, { message: "404: Not Found", code: 0 });
    const wrongMethod = await api(emu, "PUT", "/users/@me");
    assertEquals(wrongMethod.status, 405);
    assertEquals(wrongMethod.body, { message: "405: Method Not Allowed", code: 0 });
    const gateway = await api(emu, "GET", "/gateway/bot");
    assertEquals(gateway.body.url, emu.gatewayUrl);
    assertEquals(gateway.body.shards, 1);
    // Unauthenticated requests are not the bot's actions.
    assertEquals(emu.actions.list().every((a) => a.status !== 401), true);
  } finally {
    await emu.close();
  }
});

Deno.test("validation against discord-api-spec: 400 code 50035 with an errors tree", async () => {
  const emu = await startEmulator(FAST);
  try {
    const channel = emu.seeded!.guilds[0].channels.general;
    const bad = await api(emu, "POST", `/channels/${channel}/messages`, {
      content: 5,
      embeds: [{ title: 7 }],
    });
    assertEquals(bad.status, 400);
    assertEquals(bad.body.code, 50035);
    assertEquals(bad.body.message, "Invalid Form Body");
    const errors = bad.body.errors as Record<string, { _errors?: { code: string }[] }>;
    assertEquals(errors.content._errors?.[0].code, "BASE_TYPE_STRING");
    assert("embeds" in errors);
    const long = await api(emu, "POST", `/channels/${channel}/messages`, {
      content: "x".repeat(2001),
    });
    assertEquals(long.body.code, 50035);
    const badReply = await api(emu, "POST", `/channels/${channel}/messages`, {
      content: "hi",
      message_reference: { message_id: "123" },
    });
    assertEquals(badReply.body.code, 50035);
    const badCommand = await api(
      emu,
      "PUT",
      `/applications/${emu.applicationId}/guilds/${emu.seeded!.guilds[0].id}/commands`,
      [{ name: "Bad Name", description: "x" }],
    );
    assertEquals(badCommand.body.code, 50035);
  } finally {
    await emu.close();
  }
});

Deno.test("rate limits: X-RateLimit-* headers, then 429 with retry_after", async () => {
  const emu = await startEmulator(FAST);
  try {
    const channel = emu.seeded!.guilds[0].channels.general;
    const replies: Reply[] = [];
    for (let i = 0; i < 6; i++) {
      replies.push(await api(emu, "POST", `/channels/${channel}/messages`, { content: `m${i}` }));
    }
    assertEquals(replies.slice(0, 5).map((r) => r.status), [200, 200, 200, 200, 200]);
    assertEquals(replies[0].headers.get("x-ratelimit-limit"), "5");
    assertEquals(replies[0].headers.get("x-ratelimit-remaining"), "4");
    assert(replies[0].headers.get("x-ratelimit-bucket"));
    assert(Number(replies[0].headers.get("x-ratelimit-reset-after")) > 0);
    const limited = replies[5];
    assertEquals(limited.status, 429);
    assertEquals(limited.body.global, false);
    assert(typeof limited.body.retry_after === "number");
    assertEquals(limited.headers.get("x-ratelimit-scope"), "user");
    assert(limited.headers.get("retry-after"));
    // Another channel is another bucket.
    const other = await api(
      emu,
      "POST",
      `/channels/${emu.seeded!.guilds[0].channels.botCommands}/messages`,
      { content: "fine" },
    );
    assertEquals(other.status, 200);
    // Benchmarks can switch limits off at run time.
    await new EmulatorClient(emu.url).setRateLimits({ enabled: false });
    const unlimited = await api(emu, "POST", `/channels/${channel}/messages`, { content: "free" });
    assertEquals(unlimited.status, 200);
  } finally {
    await emu.close();
  }
});

Deno.test("global rate limit: 429 with global true and X-RateLimit-Global", async () => {
  const emu = await startEmulator({ ...FAST, rateLimits: { globalPerSecond: 3 } });
  try {
    const statuses: number[] = [];
    let last: Reply | undefined;
    for (let i = 0; i < 4; i++) {
      last = await api(emu, "GET", "/users/@me");
      statuses.push(last.status);
    }
    assertEquals(statuses, [200, 200, 200, 429]);
    assertEquals(last?.body.global, true);
    assertEquals(last?.headers.get("x-ratelimit-global"), "true");
  } finally {
    await emu.close();
  }
});

Deno.test("injected faults: Discordeno retries an injected 429, surfaces a 500", async () => {
  const emu = await startEmulator(FAST);
  const tb = await startTestBot(emu);
  const control = new EmulatorClient(emu.url);
  try {
    const channel = BigInt(emu.seeded!.guilds[0].channels.general);
    await control.restFault({
      route: "POST /channels/:id/messages",
      status: 429,
      retryAfter: 0.05,
    });
    await tb.bot.helpers.sendMessage(channel, { content: "after retry" });
    const statuses = emu.actions.list().filter((a) => a.route === "POST /channels/:id/messages")
      .map((a) => a.status);
    assertEquals(statuses, [429, 200]);
    await control.restFault({ route: "POST /channels/:id/messages", status: 500 });
    const error = await assertRejects(() => tb.bot.helpers.sendMessage(channel, { content: "x" }));
    assertEquals(((error as Error).cause as { status: number }).status, 500);
  } finally {
    await tb.stop();
    await emu.close();
  }
});

Deno.test("permissions: overwrites deny with 50013 / 50001; administrators bypass", async () => {
  const emu = await startEmulator(FAST);
  const control = new EmulatorClient(emu.url);
  try {
    const guild = emu.seeded!.guilds[0];
    const channel = guild.channels.general;
    await control.setPermissionOverwrite({
      channelId: channel,
      id: guild.roles.bot,
      type: 0,
      deny: String(1 << 11), // SEND_MESSAGES
    });
    const denied = await api(emu, "POST", `/channels/${channel}/messages`, { content: "hi" });
    assertEquals(denied.status, 403);
    assertEquals(denied.body, { message: "Missing Permissions", code: 50013 });
    await control.setPermissionOverwrite({
      channelId: channel,
      id: guild.id,
      type: 0,
      deny: String(1 << 10), // VIEW_CHANNEL for @everyone
    });
    const hidden = await api(emu, "GET", `/channels/${channel}/messages`);
    assertEquals(hidden.body, { message: "Missing Access", code: 50001 });
    // A member overwrite for the bot allows it back in.
    await control.setPermissionOverwrite({
      channelId: channel,
      id: emu.botUserId,
      type: 1,
      allow: String((1 << 10) | (1 << 11)),
    });
    const allowed = await api(emu, "POST", `/channels/${channel}/messages`, { content: "hi" });
    assertEquals(allowed.status, 200);
    // Users are checked too: bob (Member) cannot see the channel now.
    await assertRejects(() =>
      control.sendMessage({
        guildId: guild.id,
        channelId: channel,
        userId: emu.seeded!.users.member,
        content: "can I?",
      })
    );
  } finally {
    await emu.close();
  }
});

Deno.test("members: roles add/remove with hierarchy, timeout, kick, ban", async () => {
  const emu = await startEmulator(FAST);
  const tb = await startTestBot(emu);
  try {
    const guild = emu.seeded!.guilds[0];
    const { member, admin } = emu.seeded!.users;
    const g = guild.id;
    // The bot's role sits below Admin: it may not grant Admin.
    const grantAdmin = await api(
      emu,
      "PUT",
      `/guilds/${g}/members/${member}/roles/${guild.roles.admin}`,
    );
    assertEquals(grantAdmin.body.code, 50013);
    const removeMember = await api(
      emu,
      "DELETE",
      `/guilds/${g}/members/${member}/roles/${guild.roles.member}`,
    );
    assertEquals(removeMember.status, 204);
    const update = await tb.waitForDispatch<ApiGuildMember & { guild_id: string }>(
      "GUILD_MEMBER_UPDATE",
      (d) => d.user.id === member,
    );
    assertEquals(update.roles, []);
    await api(emu, "PUT", `/guilds/${g}/members/${member}/roles/${guild.roles.member}`);
    const until = new Date(Date.now() + 60_000).toISOString();
    const timedOut = await api(emu, "PATCH", `/guilds/${g}/members/${member}`, {
      communication_disabled_until: until,
    });
    assertEquals(timedOut.status, 200);
    assert(typeof timedOut.body.communication_disabled_until === "string");
    // The owner (an administrator) can be neither timed out nor kicked.
    const timeoutOwner = await api(emu, "PATCH", `/guilds/${g}/members/${admin}`, {
      communication_disabled_until: until,
    });
    assertEquals(timeoutOwner.body.code, 50013);
    assertEquals((await api(emu, "DELETE", `/guilds/${g}/members/${admin}`)).body.code, 50013);
    assertEquals((await api(emu, "DELETE", `/guilds/${g}/members/${member}`)).status, 204);
    await tb.waitForDispatch<{ user: { id: string } }>(
      "GUILD_MEMBER_REMOVE",
      (d) => d.user.id === member,
    );
    const nick = await api(emu, "PATCH", `/guilds/${g}/members/@me`, { nick: "Flora Bot" });
    assertEquals(nick.body.nick, "Flora Bot");
    const gone = await api(emu, "GET", `/guilds/${g}/members/${member}`);
    assertEquals(gone.body.code, 10007);
    assertEquals((await api(emu, "PUT", `/guilds/${g}/bans/${member}`, {})).status, 204);
    const ban = await api(emu, "GET", `/guilds/${g}/bans/${member}`);
    assertEquals((ban.body.user as { id: string }).id, member);
    assertEquals((await api(emu, "DELETE", `/guilds/${g}/bans/${member}`)).status, 204);
    assertEquals((await api(emu, "GET", `/guilds/${g}/bans/${member}`)).body.code, 10026);
    assertEquals((await api(emu, "GET", "/guilds/123456789012345678")).body.code, 10004);
  } finally {
    await tb.stop();
    await emu.close();
  }
});

Deno.test("messages: edit, reactions, pins, typing, bulk delete, DMs, threads", async () => {
  const emu = await startEmulator(FAST);
  const tb = await startTestBot(emu);
  const control = new EmulatorClient(emu.url);
  try {
    const guild = emu.seeded!.guilds[0];
    const c = guild.channels.botCommands;
    const sent = (await api(emu, "POST", `/channels/${c}/messages`, { content: "one" }))
      .body as unknown as ApiMessage;
    const edited = await api(emu, "PATCH", `/channels/${c}/messages/${sent.id}`, {
      content: "uno",
    });
    assertEquals(edited.body.content, "uno");
    assert(edited.body.edited_timestamp);
    await tb.waitForDispatch<ApiMessage>("MESSAGE_UPDATE", (d) => d.id === sent.id);

    const userMessage = await control.sendMessage({
      guildId: guild.id,
      channelId: c,
      userId: emu.seeded!.users.member,
      content: "react to me",
    });
    assertEquals(
      (await api(emu, "PATCH", `/channels/${c}/messages/${userMessage.id}`, { content: "x" }))
        .body.code,
      50005,
    );
    const emoji = encodeURIComponent("👍");
    const put = await api(
      emu,
      "PUT",
      `/channels/${c}/messages/${userMessage.id}/reactions/${emoji}/@me`,
    );
    assertEquals(put.status, 204);
    const reaction = await tb.waitForDispatch<{ emoji: { name: string }; user_id: string }>(
      "MESSAGE_REACTION_ADD",
    );
    assertEquals(reaction.emoji.name, "👍");
    assertEquals(reaction.user_id, emu.botUserId);
    const users = await api(
      emu,
      "GET",
      `/channels/${c}/messages/${userMessage.id}/reactions/${emoji}`,
    );
    assertEquals((users.body as unknown as { id: string }[]).map((u) => u.id), [emu.botUserId]);
    const fetched = await api(emu, "GET", `/channels/${c}/messages/${userMessage.id}`);
    assertEquals((fetched.body.reactions as { count: number; me: boolean }[])[0].me, true);

    assertEquals((await api(emu, "PUT", `/channels/${c}/pins/${userMessage.id}`)).status, 204);
    const pins = await api(emu, "GET", `/channels/${c}/pins`);
    assertEquals((pins.body as unknown as ApiMessage[]).map((m) => m.id), [userMessage.id]);
    assertEquals((await api(emu, "POST", `/channels/${c}/typing`)).status, 204);

    const bulk = await api(emu, "POST", `/channels/${c}/messages/bulk-delete`, {
      messages: [sent.id, userMessage.id],
    });
    assertEquals(bulk.status, 204);
    const deleted = await tb.waitForDispatch<{ ids: string[] }>("MESSAGE_DELETE_BULK");
    assertEquals(deleted.ids.sort(), [sent.id, userMessage.id].sort());
    assertEquals(
      (await api(emu, "GET", `/channels/${c}/messages`)).body,
      [] as unknown as Record<string, unknown>,
    );

    const dm = (await api(emu, "POST", "/users/@me/channels", {
      recipient_id: emu.seeded!.users.admin,
    })).body as unknown as ApiChannel;
    assertEquals(dm.type, 1);
    const dmMessage = await api(emu, "POST", `/channels/${dm.id}/messages`, { content: "psst" });
    assertEquals(dmMessage.status, 200);

    const starter = (await api(emu, "POST", `/channels/${c}/messages`, { content: "thread" }))
      .body as unknown as ApiMessage;
    const thread = await api(emu, "POST", `/channels/${c}/messages/${starter.id}/threads`, {
      name: "discussion",
    });
    assertEquals(thread.status, 201);
    assertEquals(thread.body.id, starter.id);
    assertEquals(thread.body.type, 11);
    await tb.waitForDispatch<{ id: string }>("THREAD_CREATE", (d) => d.id === starter.id);
    const inThread = await api(emu, "POST", `/channels/${starter.id}/messages`, { content: "hi" });
    assertEquals(inThread.status, 200);
    // Archiving, then posting, reopens the thread.
    const archived = await api(emu, "PATCH", `/channels/${starter.id}`, { archived: true });
    assertEquals((archived.body.thread_metadata as { archived: boolean }).archived, true);
    await api(emu, "POST", `/channels/${starter.id}/messages`, { content: "back" });
    assertEquals(emu.state.channel(starter.id).channel.thread_metadata?.archived, false);
    const active = await api(emu, "GET", `/guilds/${guild.id}/threads/active`);
    assertEquals((active.body.threads as { id: string }[]).map((t) => t.id), [starter.id]);
  } finally {
    await tb.stop();
    await emu.close();
  }
});

Deno.test("guild admin: channels and roles need MANAGE_* and respect the hierarchy", async () => {
  const emu = await startEmulator(FAST);
  const tb = await startTestBot(emu);
  const control = new EmulatorClient(emu.url);
  try {
    const guild = emu.seeded!.guilds[0];
    const g = guild.id;
    // The seeded bot role lacks MANAGE_CHANNELS.
    const denied = await api(emu, "POST", `/guilds/${g}/channels`, { name: "Announcements" });
    assertEquals(denied.body.code, 50013);
    const botRole = (await control.world()).guilds[0].roles.find((r) => r.id === guild.roles.bot)!;
    await control.updateRole({
      guildId: g,
      roleId: guild.roles.bot,
      permissions: (BigInt(botRole.permissions) | (1n << 4n)).toString(),
    });
    const created = await api(emu, "POST", `/guilds/${g}/channels`, { name: "Big News" });
    assertEquals(created.status, 201);
    assertEquals(created.body.name, "big-news");
    await tb.waitForDispatch<ApiChannel>("CHANNEL_CREATE", (d) => d.id === created.body.id);
    const renamed = await api(emu, "PATCH", `/channels/${created.body.id}`, { topic: "news" });
    assertEquals(renamed.body.topic, "news");
    assertEquals((await api(emu, "DELETE", `/channels/${created.body.id}`)).status, 200);
    await tb.waitForDispatch<ApiChannel>("CHANNEL_DELETE", (d) => d.id === created.body.id);

    const role = await api(emu, "POST", `/guilds/${g}/roles`, { name: "Helpers", color: 0x00ff00 });
    assertEquals(role.status, 200);
    assertEquals(role.body.position, 1);
    await tb.waitForDispatch<{ role: { id: string } }>(
      "GUILD_ROLE_CREATE",
      (d) => d.role.id === role.body.id,
    );
    // Granting ADMINISTRATOR (which the bot lacks) is refused.
    const escalate = await api(emu, "PATCH", `/guilds/${g}/roles/${role.body.id}`, {
      permissions: "8",
    });
    assertEquals(escalate.body.code, 50013);
    // Roles at or above the bot's own cannot be edited.
    const admin = await api(emu, "PATCH", `/guilds/${g}/roles/${guild.roles.admin}`, {
      name: "x",
    });
    assertEquals(admin.body.code, 50013);
    assertEquals((await api(emu, "DELETE", `/guilds/${g}/roles/${role.body.id}`)).status, 204);
  } finally {
    await tb.stop();
    await emu.close();
  }
});

Deno.test("interaction callbacks: with_response returns the resource; wrong types are 50035", async () => {
  const emu = await startEmulator(FAST);
  const control = new EmulatorClient(emu.url);
  try {
    const guild = emu.seeded!.guilds[0];
    await api(emu, "PUT", `/applications/${emu.applicationId}/commands`, [
      { name: "hello", description: "Global hello" },
    ]);
    // Global commands can be invoked in any guild the bot is in.
    const invoke = () =>
      control.invokeSlash({
        guildId: guild.id,
        channelId: guild.channels.general,
        userId: emu.seeded!.users.member,
        name: "hello",
      });
    const first = await invoke();
    const pong = await api(
      emu,
      "POST",
      `/interactions/${first.interactionId}/${first.token}/callback`,
      { type: 1 },
      null,
    );
    assertEquals(pong.body.code, 50035);
    const response = await api(
      emu,
      "POST",
      `/interactions/${first.interactionId}/${first.token}/callback?with_response=true`,
      { type: 4, data: { content: "hi", flags: 64 } },
      null,
    );
    assertEquals(response.status, 200);
    const interaction = response.body.interaction as Record<string, unknown>;
    assertEquals(interaction.id, first.interactionId);
    assertEquals(interaction.response_message_ephemeral, true);
    const resource = response.body.resource as { type: number; message: ApiMessage };
    assertEquals(resource.type, 4);
    assertEquals(resource.message.content, "hi");
    // Ephemeral responses are not part of the channel's history.
    const history = await api(emu, "GET", `/channels/${guild.channels.general}/messages`);
    assertEquals((history.body as unknown as ApiMessage[]).length, 0);
    const wrongToken = await api(
      emu,
      "POST",
      `/interactions/${first.interactionId}/nope/callback`,
      { type: 4, data: { content: "x" } },
      null,
    );
    assertEquals(wrongToken.body.code, 10062);
    const second = await invoke();
    const followupFirst = await api(emu, "POST", `/webhooks/${emu.applicationId}/${second.token}`, {
      content: "too early",
    }, null);
    assertEquals(followupFirst.body.code, 10015);
  } finally {
    await emu.close();
  }
});

Deno.test("channel webhooks: create, execute with wait, edit via token, delete", async () => {
  const emu = await startEmulator(FAST);
  const tb = await startTestBot(emu);
  try {
    const guild = emu.seeded!.guilds[0];
    const channel = guild.channels.general;
    // The seeded bot role lacks MANAGE_WEBHOOKS.
    const denied = await api(emu, "POST", `/channels/${channel}/webhooks`, { name: "Logs" });
    assertEquals(denied.body.code, 50013);
    emu.state.role(guild.id, guild.roles.bot).permissions = String(
      BigInt(emu.state.role(guild.id, guild.roles.bot).permissions) | (1n << 29n),
    );
    const created = await api(emu, "POST", `/channels/${channel}/webhooks`, { name: "Logs" });
    assertEquals(created.status, 200);
    const hook = created.body as { id: string; token: string; channel_id: string };
    assertEquals(hook.channel_id, channel);
    assert(hook.token);
    const badName = await api(emu, "POST", `/channels/${channel}/webhooks`, { name: "discord" });
    assertEquals(badName.body.code, 50035);

    const noWait = await api(emu, "POST", `/webhooks/${hook.id}/${hook.token}`, {
      content: "fire and forget",
    }, null);
    assertEquals(noWait.status, 204);
    const sent = await api(emu, "POST", `/webhooks/${hook.id}/${hook.token}?wait=true`, {
      content: "logged",
      username: "Logger",
    }, null);
    const message = sent.body as unknown as ApiMessage;
    assertEquals(message.webhook_id, hook.id);
    assertEquals(message.author.id, hook.id);
    assertEquals(message.author.username, "Logger");
    const event = await tb.waitForDispatch<ApiMessage>(
      "MESSAGE_CREATE",
      (d) => d.id === message.id,
    );
    assertEquals(event.member, undefined);
    const edited = await api(
      emu,
      "PATCH",
      `/webhooks/${hook.id}/${hook.token}/messages/${message.id}`,
      { content: "logged (edited)" },
      null,
    );
    assertEquals(edited.body.content, "logged (edited)");
    const viaToken = await api(emu, "GET", `/webhooks/${hook.id}/${hook.token}`, undefined, null);
    assertEquals(viaToken.body.token, undefined);
    const wrongToken = await api(emu, "POST", `/webhooks/${hook.id}/nope`, { content: "x" }, null);
    assertEquals(wrongToken.body.code, 10015);
    assertEquals((await api(emu, "DELETE", `/webhooks/${hook.id}`)).status, 204);
    assertEquals((await api(emu, "GET", `/webhooks/${hook.id}`)).body.code, 10015);
    const action = emu.actions.list().find((a) => a.route === "POST /webhooks/:id/:token");
    assertEquals(action?.channelId, channel);
  } finally {
    await tb.stop();
    await emu.close();
  }
});

Deno.test("slash options: user/channel/role values are resolved; unknown ids refused", async () => {
  const emu = await startEmulator(FAST);
  const control = new EmulatorClient(emu.url);
  try {
    const guild = emu.seeded!.guilds[0];
    const { member, admin } = emu.seeded!.users;
    await api(emu, "PUT", `/applications/${emu.applicationId}/guilds/${guild.id}/commands`, [{
      name: "inspect",
      description: "Inspect things",
      options: [
        { type: 6, name: "who", description: "A user" },
        { type: 7, name: "where", description: "A channel" },
        { type: 8, name: "role", description: "A role" },
      ],
    }]);
    const invoke = (who: string) =>
      control.invokeSlash({
        guildId: guild.id,
        channelId: guild.channels.general,
        userId: admin,
        name: "inspect",
        options: [
          { type: 6, name: "who", value: who },
          { type: 7, name: "where", value: guild.channels.botCommands },
          { type: 8, name: "role", value: guild.roles.member },
        ],
      });
    const { interactionId } = await invoke(member);
    const view = await control.interaction(interactionId);
    const resolved = view.interaction.data?.resolved;
    assertEquals(resolved?.users?.[member]?.username, "bob");
    assertEquals(resolved?.members?.[member]?.roles, [guild.roles.member]);
    // Discord leaves voice state out of resolved members.
    assertEquals("deaf" in resolved!.members![member], false);
    assertEquals("mute" in resolved!.members![member], false);
    assertEquals(resolved?.channels?.[guild.channels.botCommands]?.name, "bot-commands");
    assertEquals(resolved?.roles?.[guild.roles.member]?.name, "Member");
    await assertRejects(() => invoke("123456789012345678"));
    // Options the command does not declare are refused too.
    await assertRejects(() =>
      control.invokeSlash({
        guildId: guild.id,
        channelId: guild.channels.general,
        userId: admin,
        name: "inspect",
        options: [{ type: 3, name: "nope", value: "x" }],
      })
    );
  } finally {
    await emu.close();
  }
});

Deno.test("message rules: slowmode (20016), enforce_nonce dedupe, allowed_mentions exclusivity", async () => {
  const emu = await startEmulator(FAST);
  const control = new EmulatorClient(emu.url);
  try {
    const guild = emu.seeded!.guilds[0];
    const channel = guild.channels.general;
    emu.state.channel(channel).channel.rate_limit_per_user = 60;
    const send = () =>
      control.sendMessage({
        guildId: guild.id,
        channelId: channel,
        userId: emu.seeded!.users.member,
        content: "hi",
      });
    await send();
    const slowed = await assertRejects(send) as { status: number; body: { code: number } };
    assertEquals(slowed.status, 429);
    assertEquals(slowed.body.code, 20016);
    // The bot has MANAGE_MESSAGES, which exempts it.
    assertEquals(
      (await api(emu, "POST", `/channels/${channel}/messages`, { content: "a" })).status,
      200,
    );
    assertEquals(
      (await api(emu, "POST", `/channels/${channel}/messages`, { content: "b" })).status,
      200,
    );

    const first = await api(emu, "POST", `/channels/${guild.channels.botCommands}/messages`, {
      content: "once",
      nonce: "n-1",
      enforce_nonce: true,
    });
    const again = await api(emu, "POST", `/channels/${guild.channels.botCommands}/messages`, {
      content: "once",
      nonce: "n-1",
      enforce_nonce: true,
    });
    assertEquals(again.body.id, first.body.id);
    const exclusive = await api(emu, "POST", `/channels/${guild.channels.botCommands}/messages`, {
      content: "hi",
      allowed_mentions: { parse: ["users"], users: [emu.seeded!.users.member] },
    });
    assertEquals(exclusive.body.code, 50035);
  } finally {
    await emu.close();
  }
});

Deno.test("slash commands honour default_member_permissions and channel access", async () => {
  const emu = await startEmulator(FAST);
  const control = new EmulatorClient(emu.url);
  try {
    const guild = emu.seeded!.guilds[0];
    const { member, admin } = emu.seeded!.users;
    await api(emu, "PUT", `/applications/${emu.applicationId}/guilds/${guild.id}/commands`, [
      { name: "ban", description: "Ban someone", default_member_permissions: String(1 << 2) },
      { name: "secret", description: "Admins only", default_member_permissions: "0" },
    ]);
    const invoke = (name: string, userId: string) =>
      control.invokeSlash({ guildId: guild.id, channelId: guild.channels.general, userId, name });
    for (const name of ["ban", "secret"]) {
      const refused = await assertRejects(() => invoke(name, member)) as { status: number };
      assertEquals(refused.status, 403);
      assert((await invoke(name, admin)).interactionId);
    }
  } finally {
    await emu.close();
  }
});

Deno.test("reachability: DMs need a shared guild (50007); bans block rejoining; the bot can leave", async () => {
  const emu = await startEmulator(FAST);
  const control = new EmulatorClient(emu.url);
  try {
    const guild = emu.seeded!.guilds[0];
    const stranger = await control.createUser({ username: "stranger" });
    const dm = await api(emu, "POST", "/users/@me/channels", { recipient_id: stranger.id });
    assertEquals(dm.status, 200);
    const refused = await api(emu, "POST", `/channels/${dm.body.id}/messages`, { content: "hi" });
    assertEquals(refused.body, { message: "Cannot send messages to this user", code: 50007 });
    await control.addMember({ guildId: guild.id, userId: stranger.id });
    const allowed = await api(emu, "POST", `/channels/${dm.body.id}/messages`, { content: "hi" });
    assertEquals(allowed.status, 200);

    assertEquals(
      (await api(emu, "PUT", `/guilds/${guild.id}/bans/${stranger.id}`, {})).status,
      204,
    );
    const rejoin = await assertRejects(() =>
      control.addMember({ guildId: guild.id, userId: stranger.id })
    ) as { status: number };
    assertEquals(rejoin.status, 403);

    assertEquals((await api(emu, "DELETE", `/users/@me/guilds/${guild.id}`)).status, 204);
    assertEquals((await api(emu, "GET", `/guilds/${guild.id}`)).body.code, 50001);
    const guilds = await api(emu, "GET", "/users/@me/guilds");
    assertEquals((guilds.body as unknown as { id: string }[]).length, 1);
  } finally {
    await emu.close();
  }
});
