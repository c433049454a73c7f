/**
 * End-to-end: the real Discordeno client against the emulator — connect,
 * READY + GUILD_CREATE, messages both ways, slash commands and their
 * responses, and Discord's error codes as Discordeno surfaces them.
 */

import { GatewayIntents, InteractionResponseTypes } from "@discordeno/bot";
import { startEmulator } from "./mod.ts";
import {
  assert,
  assertEquals,
  assertExists,
  assertRejects,
  startTestBot,
  withTestBot,
} from "./test_helpers.ts";
import type { ApiGatewayGuild, ApiInteraction, ApiMessage } from "./types.ts";

// Tests identify again within seconds; Discord's 5 s identify spacing is off (gateway_test checks it).
const FAST = { heartbeatIntervalMs: 1100, identifyIntervalMs: 0 };

/** The `cause.body` Discordeno attaches to a failed request, parsed. */
function discordError(error: unknown): { status: number; code: number; message: string } {
  assert(error instanceof Error);
  const cause = error.cause as { status: number; body: string };
  const body = JSON.parse(cause.body) as { code: number; message: string };
  return { status: cause.status, code: body.code, message: body.message };
}

Deno.test("Discordeno connects: READY then one GUILD_CREATE per guild", async () => {
  await withTestBot(FAST, {}, async ({ emu, tb }) => {
    const ready = await tb.waitForDispatch<{
      session_id: string;
      resume_gateway_url: string;
      user: { id: string; bot: boolean };
      application: { id: string; flags: number };
      guilds: { id: string; unavailable: boolean }[];
      shard: [number, number];
    }>("READY");
    assertEquals(ready.user.id, emu.botUserId);
    assertEquals(ready.application.id, emu.applicationId);
    assertEquals(ready.shard, [0, 1]);
    assertEquals(ready.resume_gateway_url, emu.gatewayUrl);
    assertEquals(ready.guilds.length, 2);
    assert(ready.guilds.every((g) => g.unavailable));
    const seeded = emu.seeded!;
    for (const guild of seeded.guilds) {
      const created = await tb.waitForDispatch<ApiGatewayGuild>(
        "GUILD_CREATE",
        (d) => d.id === guild.id,
      );
      assertEquals(created.name, guild.name);
      assertEquals(created.unavailable, false);
      assertEquals(created.member_count, 3);
      // Without GUILD_PRESENCES Discord lists only the bot among `members`.
      assertEquals(created.members.map((m) => m.user.id), [emu.botUserId]);
      assertEquals(
        created.channels.map((c) => c.name).sort(),
        ["bot-commands", "general"],
      );
      const admin = created.roles.find((r) => r.name === "Admin");
      assertEquals(admin?.permissions, "8");
      assert(created.roles.some((r) => r.id === guild.id && r.name === "@everyone"));
    }
    // Sequence numbers strictly increase.
    const seqs = tb.payloads.filter((p) => p.op === 0).map((p) => p.s ?? 0);
    assert(seqs.every((s, i) => i === 0 || s > seqs[i - 1]));
  });
});

Deno.test("a user's message reaches the bot, and the bot's reply is recorded", async () => {
  await withTestBot(FAST, {}, async ({ emu, tb, control }) => {
    const { guilds, users } = emu.seeded!;
    const guild = guilds[0];
    await tb.waitForDispatch("GUILD_CREATE", (d) => d.id === guild.id);
    const sent = await control.sendMessage({
      guildId: guild.id,
      channelId: guild.channels.general,
      userId: users.member,
      content: "!ping",
    });
    const created = await tb.waitForDispatch<ApiMessage>(
      "MESSAGE_CREATE",
      (d) => d.id === sent.id,
    );
    assertEquals(created.content, "!ping");
    assertEquals(created.guild_id, guild.id);
    assertEquals(created.author.id, users.member);
    assertExists(created.member);

    await tb.bot.helpers.sendMessage(BigInt(guild.channels.general), {
      content: "pong",
      messageReference: { messageId: BigInt(sent.id), failIfNotExists: true },
    });
    const action = await control.waitForAction((a) => a.route === "POST /channels/:id/messages");
    assertEquals(action.status, 200);
    assertEquals(action.guildId, guild.id);
    assertEquals(action.channelId, guild.channels.general);
    assertEquals((action.body as { content: string }).content, "pong");
    assertEquals((action.response as ApiMessage).content, "pong");
    // The reply is dispatched back to the bot, as Discord does.
    const echoed = await tb.waitForDispatch<ApiMessage>(
      "MESSAGE_CREATE",
      (d) => d.content === "pong",
    );
    assertEquals(echoed.type, 19);
    assertEquals(echoed.message_reference?.message_id, sent.id);
    assertEquals(echoed.referenced_message?.id, sent.id);
  });
});

Deno.test("without MESSAGE_CONTENT the bot gets empty content (unless mentioned)", async () => {
  await withTestBot(FAST, {
    intents: GatewayIntents.Guilds | GatewayIntents.GuildMessages,
  }, async ({ emu, tb, control }) => {
    const { guilds, users } = emu.seeded!;
    const guild = guilds[0];
    await tb.waitForDispatch("GUILD_CREATE", (d) => d.id === guild.id);
    const plain = await control.sendMessage({
      guildId: guild.id,
      channelId: guild.channels.general,
      userId: users.member,
      content: "secret",
    });
    const mention = await control.sendMessage({
      guildId: guild.id,
      channelId: guild.channels.general,
      userId: users.member,
      content: `<@${emu.botUserId}> hi`,
    });
    const a = await tb.waitForDispatch<ApiMessage>("MESSAGE_CREATE", (d) => d.id === plain.id);
    const b = await tb.waitForDispatch<ApiMessage>("MESSAGE_CREATE", (d) => d.id === mention.id);
    assertEquals(a.content, "");
    assertEquals(b.content, `<@${emu.botUserId}> hi`);
    // Gateway mentions carry the mentioned member.
    assertEquals(b.mentions[0].member?.roles, [emu.seeded!.guilds[0].roles.bot]);
  });
});

Deno.test("slash commands: bulk overwrite, invoke, respond once (40060 on the second)", async () => {
  await withTestBot(FAST, {}, async ({ emu, tb, control }) => {
    const { guilds, users } = emu.seeded!;
    const guild = guilds[0];
    await tb.waitForDispatch("GUILD_CREATE", (d) => d.id === guild.id);

    // Discord never sends an interaction for an unregistered command.
    await assertRejects(() =>
      control.invokeSlash({
        guildId: guild.id,
        channelId: guild.channels.botCommands,
        userId: users.member,
        name: "ping",
      })
    );

    const commands = await tb.bot.helpers.upsertGuildApplicationCommands(BigInt(guild.id), [
      { name: "ping", description: "Replies with pong" },
      {
        name: "echo",
        description: "Echoes text",
        options: [{ type: 3, name: "text", description: "What to say", required: true }],
      },
      // Discordeno sends permission bitfields as strings; Discord accepts them.
      { name: "mod", description: "Moderators only", defaultMemberPermissions: ["BAN_MEMBERS"] },
    ]);
    assertEquals(commands.length, 3);
    assert(commands.every((c) => typeof c.id === "bigint"));
    // Overwriting again keeps ids for unchanged names.
    const again = await tb.bot.helpers.upsertGuildApplicationCommands(BigInt(guild.id), [
      { name: "ping", description: "Replies with pong!" },
    ]);
    assertEquals(again[0].id, commands.find((c) => c.name === "ping")?.id);
    const listed = await tb.bot.helpers.getGuildApplicationCommands(BigInt(guild.id));
    assertEquals(listed.map((c) => c.name), ["ping"]);

    const { interactionId, token } = await control.invokeSlash({
      guildId: guild.id,
      channelId: guild.channels.botCommands,
      userId: users.member,
      name: "ping",
    });
    const interaction = await tb.waitForDispatch<ApiInteraction>(
      "INTERACTION_CREATE",
      (d) => d.id === interactionId,
    );
    assertEquals(interaction.type, 2);
    assertEquals(interaction.data?.name, "ping");
    assertEquals(interaction.member?.user.id, users.member);
    assertEquals(interaction.token, token);

    await tb.bot.helpers.sendInteractionResponse(BigInt(interactionId), token, {
      type: InteractionResponseTypes.ChannelMessageWithSource,
      data: { content: "pong" },
    });
    const view = await control.interaction(interactionId);
    assertEquals(view.responseType, 4);
    assertEquals(view.originalMessage?.content, "pong");
    assertEquals(view.originalMessage?.interaction_metadata?.id, interactionId);

    const second = await assertRejects(() =>
      tb.bot.helpers.sendInteractionResponse(BigInt(interactionId), token, {
        type: InteractionResponseTypes.ChannelMessageWithSource,
        data: { content: "again" },
      })
    );
    assertEquals(discordError(second), {
      status: 400,
      code: 40060,
      message: "Interaction has already been acknowledged.",
    });

    // Followup and @original edit through the webhook token.
    const followup = await tb.bot.rest.sendFollowupMessage(token, { content: "more" });
    assertEquals(followup.content, "more");
    const edited = await tb.bot.rest.editOriginalInteractionResponse(token, {
      content: "pong (edited)",
    });
    assertEquals(edited.content, "pong (edited)");
    const after = await control.interaction(interactionId);
    assertEquals(after.originalMessage?.content, "pong (edited)");
    assertEquals(after.followups.map((m) => m.content), ["more"]);
    assertEquals(after.responses.map((r) => r.kind), ["callback", "followup", "edit"]);
  });
});

Deno.test("deferred responses show as loading until edited; late callbacks get 10062", async () => {
  await withTestBot(FAST, {}, async ({ emu, tb, control }) => {
    const { guilds, users } = emu.seeded!;
    const guild = guilds[1];
    await tb.waitForDispatch("GUILD_CREATE", (d) => d.id === guild.id);
    await tb.bot.helpers.upsertGuildApplicationCommands(BigInt(guild.id), [
      { name: "slow", description: "Takes a while" },
    ]);
    const first = await control.invokeSlash({
      guildId: guild.id,
      channelId: guild.channels.general,
      userId: users.admin,
      name: "slow",
    });
    await tb.bot.helpers.sendInteractionResponse(BigInt(first.interactionId), first.token, {
      type: InteractionResponseTypes.DeferredChannelMessageWithSource,
    });
    const loading = await control.interaction(first.interactionId);
    assertEquals(loading.originalMessage?.flags, 1 << 7);
    await tb.bot.helpers.editOriginalInteractionResponse(first.token, { content: "done" });
    const done = await control.interaction(first.interactionId);
    assertEquals(done.originalMessage?.content, "done");
    assertEquals(done.originalMessage?.flags, 0);

    // After a deferral, the first followup fills the placeholder; the next is a new message.
    const second = await control.invokeSlash({
      guildId: guild.id,
      channelId: guild.channels.general,
      userId: users.admin,
      name: "slow",
    });
    await tb.bot.helpers.sendInteractionResponse(BigInt(second.interactionId), second.token, {
      type: InteractionResponseTypes.DeferredChannelMessageWithSource,
    });
    const filled = await tb.bot.rest.sendFollowupMessage(second.token, { content: "filled" });
    const more = await tb.bot.rest.sendFollowupMessage(second.token, { content: "more" });
    const secondView = await control.interaction(second.interactionId);
    assertEquals(String(filled.id), secondView.originalMessage?.id);
    assertEquals(secondView.originalMessage?.content, "filled");
    assertEquals(secondView.originalMessage?.edited_timestamp, null);
    assertEquals(secondView.followups.map((m) => m.id), [String(more.id)]);

    const late = await control.invokeSlash({
      guildId: guild.id,
      channelId: guild.channels.general,
      userId: users.admin,
      name: "slow",
    });
    // Age the interaction past Discord's 3-second window instead of sleeping.
    emu.state.interactions.get(late.interactionId)!.createdAt -= 3_001;
    const error = await assertRejects(() =>
      tb.bot.helpers.sendInteractionResponse(BigInt(late.interactionId), late.token, {
        type: InteractionResponseTypes.ChannelMessageWithSource,
        data: { content: "too late" },
      })
    );
    assertEquals(discordError(error), { status: 404, code: 10062, message: "Unknown interaction" });
  });
});

Deno.test("REST errors: unknown channel 10003, unknown message 10008, empty message 50006", async () => {
  await withTestBot(FAST, {}, async ({ emu, tb }) => {
    const guild = emu.seeded!.guilds[0];
    const unknown = await assertRejects(() =>
      tb.bot.helpers.sendMessage(123456789012345678n, { content: "hi" })
    );
    assertEquals(discordError(unknown), { status: 404, code: 10003, message: "Unknown Channel" });
    const noMessage = await assertRejects(() =>
      tb.bot.helpers.getMessage(BigInt(guild.channels.general), 123456789012345678n)
    );
    assertEquals(discordError(noMessage).code, 10008);
    // Files go multipart (payload_json + files[0]) and come back as attachments.
    const withFile = await tb.bot.rest.sendMessage(BigInt(guild.channels.general), {
      content: "see attached",
      files: [{ blob: new Blob(["hello"], { type: "text/plain" }), name: "hello.txt" }],
    });
    assertEquals(withFile.attachments?.[0]?.filename, "hello.txt");
    assertEquals(withFile.attachments?.[0]?.size, 5);
    const empty = await assertRejects(() =>
      tb.bot.helpers.sendMessage(BigInt(guild.channels.general), { content: "" })
    );
    assertEquals(discordError(empty), {
      status: 400,
      code: 50006,
      message: "Cannot send an empty message",
    });
  });
});

Deno.test("Discordeno resumes after a dropped connection and gets what it missed once", async () => {
  await withTestBot(FAST, {}, async ({ emu, tb, control }) => {
    const { guilds, users } = emu.seeded!;
    await tb.waitForDispatch("GUILD_CREATE", (d) => d.id === guilds[1].id);
    const [before] = await control.sessions();
    assertEquals(await control.gatewayFault({ kind: "close", code: 4000 }), 1);
    const missed = await control.sendMessage({
      guildId: guilds[0].id,
      channelId: guilds[0].channels.general,
      userId: users.member,
      content: "during the outage",
    });
    await tb.waitForDispatch("RESUMED");
    await tb.waitForDispatch<ApiMessage>("MESSAGE_CREATE", (d) => d.id === missed.id);
    const copies = tb.payloads.filter((p) =>
      p.t === "MESSAGE_CREATE" && (p.d as ApiMessage).id === missed.id
    );
    assertEquals(copies.length, 1);
    const [after] = await control.sessions();
    assertEquals(after.id, before.id);
    assertEquals(after.connected, true);
    assertEquals(tb.payloads.filter((p) => p.t === "READY").length, 1);

    // RECONNECT (op 7): Discordeno resumes the same session again.
    assertEquals(await control.gatewayFault({ kind: "reconnect" }), 1);
    await tb.waitFor(
      (p) => p.t === "RESUMED" && tb.payloads.filter((q) => q.t === "RESUMED").length === 2,
      "second RESUMED",
    );
    assertEquals((await control.sessions())[0].id, before.id);
  });
});

Deno.test("components: a click on the bot's button is answered with UPDATE_MESSAGE", async () => {
  await withTestBot(FAST, {}, async ({ emu, tb, control }) => {
    const { guilds, users } = emu.seeded!;
    const channel = guilds[0].channels.general;
    await tb.waitForDispatch("GUILD_CREATE", (d) => d.id === guilds[0].id);
    const sent = await tb.bot.rest.sendMessage(BigInt(channel), {
      content: "Click it",
      components: [{
        type: 1,
        components: [{ type: 2, style: 1, label: "Go", customId: "go" }],
      }],
    });
    const { interactionId, token } = await control.invokeComponent({
      channelId: channel,
      messageId: String(sent.id),
      userId: users.member,
      customId: "go",
    });
    const interaction = await tb.waitForDispatch<ApiInteraction>(
      "INTERACTION_CREATE",
      (d) => d.id === interactionId,
    );
    assertEquals(interaction.type, 3);
    assertEquals(interaction.data?.custom_id, "go");
    await tb.bot.helpers.sendInteractionResponse(BigInt(interactionId), token, {
      type: InteractionResponseTypes.UpdateMessage,
      data: { content: "Clicked", components: [] },
    });
    const view = await control.interaction(interactionId);
    assertEquals(view.originalMessage?.id, String(sent.id));
    assertEquals(view.originalMessage?.content, "Clicked");
    const other = await control.invokeComponent({
      channelId: channel,
      messageId: String(sent.id),
      userId: users.member,
      customId: "go",
    }).catch((e) => e);
    // The button was removed by the update, so Discord could not send this click.
    assert(other instanceof Error);
  });
});

Deno.test("zombie detection: Discordeno drops a connection whose ACK never came, then resumes", async () => {
  await withTestBot(FAST, {}, async ({ emu, tb, control }) => {
    await tb.waitForDispatch("READY");
    const [session] = await control.sessions();
    // Swallow one ACK: Discordeno's next beat finds the previous one unacknowledged.
    await control.gatewayFault({ kind: "heartbeat_ack", drop: 1 });
    await tb.waitForDispatch("RESUMED");
    const [after] = await control.sessions();
    assertEquals(after.id, session.id);
    const closes = emu.gateway.events.filter((e) => e.kind === "close");
    assertEquals(closes.length, 1);
  });
});

Deno.test("users DM, react, edit, delete and leave; the bot sees each event", async () => {
  await withTestBot(FAST, {
    intents: GatewayIntents.Guilds | GatewayIntents.GuildMessages |
      GatewayIntents.GuildMessageReactions | GatewayIntents.GuildMembers |
      GatewayIntents.DirectMessages | GatewayIntents.GuildMessageTyping,
  }, async ({ emu, tb, control }) => {
    const { guilds, users } = emu.seeded!;
    const guild = guilds[0];
    await tb.waitForDispatch("GUILD_CREATE", (d) => d.id === guild.id);
    const dm = await control.sendDirectMessage({ userId: users.admin, content: "hello bot" });
    const dmEvent = await tb.waitForDispatch<ApiMessage>("MESSAGE_CREATE", (d) => d.id === dm.id);
    assertEquals(dmEvent.guild_id, undefined);
    // DMs carry content without MESSAGE_CONTENT.
    assertEquals(dmEvent.content, "hello bot");

    const message = await control.sendMessage({
      guildId: guild.id,
      channelId: guild.channels.general,
      userId: users.member,
      content: "react here",
    });
    await control.addReaction({
      channelId: guild.channels.general,
      messageId: message.id,
      userId: users.admin,
      emoji: "🎉",
    });
    const reaction = await tb.waitForDispatch<
      { user_id: string; member: { user: { id: string } } }
    >(
      "MESSAGE_REACTION_ADD",
    );
    assertEquals(reaction.user_id, users.admin);
    assertEquals(reaction.member.user.id, users.admin);
    await control.removeReaction({
      channelId: guild.channels.general,
      messageId: message.id,
      userId: users.admin,
      emoji: "🎉",
    });
    await tb.waitForDispatch("MESSAGE_REACTION_REMOVE");
    await control.editMessage({
      channelId: guild.channels.general,
      messageId: message.id,
      userId: users.member,
      content: "edited",
    });
    await tb.waitForDispatch<ApiMessage>("MESSAGE_UPDATE", (d) => d.id === message.id);
    await control.deleteMessage({
      channelId: guild.channels.general,
      messageId: message.id,
      userId: users.admin,
    });
    await tb.waitForDispatch<{ id: string }>("MESSAGE_DELETE", (d) => d.id === message.id);
    await control.startTyping({ channelId: guild.channels.general, userId: users.admin });
    const typing = await tb.waitForDispatch<{ user_id: string }>("TYPING_START");
    assertEquals(typing.user_id, users.admin);
    await control.updateMember({ guildId: guild.id, userId: users.member, nick: "Bobby" });
    const renamed = await tb.waitForDispatch<{ nick: string | null; user: { id: string } }>(
      "GUILD_MEMBER_UPDATE",
      (d) => d.user.id === users.member,
    );
    assertEquals(renamed.nick, "Bobby");
    const created = await control.createChannel({ guildId: guild.id, name: "events" });
    await tb.waitForDispatch<{ id: string }>("CHANNEL_CREATE", (d) => d.id === created.id);
    await control.removeMember({ guildId: guild.id, userId: users.member });
    const left = await tb.waitForDispatch<{ user: { id: string } }>("GUILD_MEMBER_REMOVE");
    assertEquals(left.user.id, users.member);
  });
});

Deno.test("guild lifecycle and autocomplete: removal, outage, re-invite; type 8 answers", async () => {
  await withTestBot(FAST, {}, async ({ emu, tb, control }) => {
    const { guilds, users } = emu.seeded!;
    const guild = guilds[1];
    await tb.waitForDispatch("GUILD_CREATE", (d) => d.id === guild.id);
    await control.guildOutage(guild.id, true);
    const outage = await tb.waitForDispatch<{ id: string; unavailable?: boolean }>("GUILD_DELETE");
    assertEquals(outage, { id: guild.id, unavailable: true });
    await control.guildOutage(guild.id, false);
    await control.removeBot(guild.id);
    const removed = await tb.waitForDispatch<{ id: string; unavailable?: boolean }>(
      "GUILD_DELETE",
      (d) => d.unavailable === undefined,
    );
    assertEquals(removed.id, guild.id);
    const forbidden = await assertRejects(() => tb.bot.rest.getGuild(BigInt(guild.id)));
    assertEquals(discordError(forbidden).code, 50001);
    await control.addBot(guild.id);
    const creates = () =>
      tb.payloads.filter((p) => p.t === "GUILD_CREATE" && (p.d as { id: string }).id === guild.id);
    await tb.waitFor(() => creates().length === 3, "third GUILD_CREATE");

    await tb.bot.rest.upsertGuildApplicationCommands(guild.id, [{
      name: "color",
      description: "Pick a color",
      options: [{ type: 3, name: "name", description: "Color name", autocomplete: true }],
    }]);
    const { interactionId, token } = await control.invokeAutocomplete({
      guildId: guild.id,
      channelId: guild.channels.general,
      userId: users.member,
      name: "color",
      options: [{ type: 3, name: "name", value: "re", focused: true }],
    });
    const interaction = await tb.waitForDispatch<ApiInteraction>(
      "INTERACTION_CREATE",
      (d) => d.id === interactionId,
    );
    assertEquals(interaction.type, 4);
    await tb.bot.helpers.sendInteractionResponse(BigInt(interactionId), token, {
      type: InteractionResponseTypes.ApplicationCommandAutocompleteResult,
      data: { choices: [{ name: "red", value: "red" }] },
    });
    const view = await control.interaction(interactionId);
    assertEquals(view.responseType, 8);
  });
});

Deno.test("a wrong token: Discordeno's start fails on GET /gateway/bot with 401", async () => {
  const emu = await startEmulator(FAST);
  const bad = `${emu.token.split(".")[0]}.bad.token`;
  try {
    const error = await assertRejects(() => startTestBot(emu, { token: bad }));
    assertEquals(discordError(error), { status: 401, code: 0, message: "401: Unauthorized" });
    // The gateway refuses the same token with 4004 (see gateway_test.ts for the raw exchange).
  } finally {
    await emu.close();
  }
});

Deno.test("a server-requested heartbeat (op 1) is answered at once", async () => {
  // A long interval keeps Discordeno's own beats out of the way.
  await withTestBot({ heartbeatIntervalMs: 60_000 }, {}, async ({ tb, control }) => {
    await tb.waitForDispatch("READY");
    const acksBefore = tb.payloads.filter((p) => p.op === 11).length;
    assertEquals(await control.gatewayFault({ kind: "heartbeat_request" }), 1);
    await tb.waitFor((p) => p.op === 1, "op 1 request");
    // Discordeno answers with a heartbeat, which the emulator ACKs.
    await tb.waitFor(
      () => tb.payloads.filter((p) => p.op === 11).length > acksBefore,
      "HEARTBEAT_ACK",
    );
  });
});

Deno.test("Discordeno: drops landing as soon as the session is connected again lose nothing", async () => {
  // Discordeno's send budget shrinks with the heartbeat interval (10 frames/min at FAST's
  // 1.1 s) and RESUME draws on it: use a Discord-like interval for ten resumes.
  const rounds = 10;
  const batch = 20;
  await withTestBot({ heartbeatIntervalMs: 30_000 }, {}, async ({ emu, tb, control }) => {
    const { guilds, users } = emu.seeded!;
    await tb.waitForDispatch("GUILD_CREATE", (d) => d.id === guilds[1].id);
    const [before] = await control.sessions();
    for (let round = 0; round < rounds; round++) {
      const messages = Array.from({ length: batch }, (_, i) => ({
        guildId: guilds[0].id,
        channelId: guilds[0].channels.general,
        userId: users.member,
        content: `r${round}-${i}`,
      }));
      const posted = fetch(`${emu.url}/_emulator/bench/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages }),
      }).then((r) => r.json());
      assertEquals(await control.gatewayFault({ kind: "close", code: 4000 }), 1);
      assertEquals((await posted).posted, batch);
      // The gateway's close disconnects the session at once; it shows connected again only
      // once a new socket's RESUME was accepted. The next drop lands right then.
      let polls = 0;
      while (!(await control.sessions()).some((s) => s.connected)) {
        assert(++polls < 1_500, `round ${round}: the session never came back`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const created = () =>
      tb.payloads.filter((p) =>
        p.t === "MESSAGE_CREATE" && (p.d as ApiMessage).content.startsWith("r")
      );
    await tb.waitFor(() => created().length >= rounds * batch, "every message");
    assertEquals(new Set(created().map((p) => (p.d as ApiMessage).id)).size, rounds * batch);
    assertEquals(created().length, rounds * batch);
    // Every drop was resumed: one READY, the same session, connected.
    assertEquals(tb.payloads.filter((p) => p.t === "READY").length, 1);
    const after = await control.sessions();
    assertEquals(after.map((s) => ({ id: s.id, connected: s.connected })), [
      { id: before.id, connected: true },
    ]);
  });
});
