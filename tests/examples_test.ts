/**
 * The five example bots, each deployed (bundled as `flora deploy` does) to
 * its own guild of one flora against the emulator, and used the way members
 * would: slash commands, prefix commands, buttons, modals, reactions, cron.
 */

import assert from "node:assert/strict";
import type { BotAction, GuildSummary } from "../emulator/mod.ts";
import {
  callbackOf,
  eventually,
  invokeInteraction,
  runContextMenu,
  sentTo,
  startSdkFlora,
} from "./helpers/sdk_flora.ts";

const EXAMPLES = new URL("../examples/", import.meta.url).pathname;

type Body = Record<string, unknown>;
const body = (a: BotAction) => a.body as Body;

Deno.test({
  name: "the example bots work end to end against the emulator",
  // Discordeno keeps timers and sockets past close; flora.close() stops what flora owns.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await startSdkFlora();
    try {
      const { admin, member } = h.world.users;
      const guild = (name: string) => h.emu.createGuild({ name, channels: ["general", "mod-log"] });
      const channel = (g: GuildSummary, name: string) =>
        g.channels.find((c) => c.name === name)!.id;
      const say = (g: GuildSummary, content: string, userId = member) =>
        h.emu.sendMessage({ guildId: g.id, channelId: channel(g, "general"), userId, content });

      await t.step(
        "moderation: warn, word filter, purge, timeout, kick, ban, context menu",
        async () => {
          const g = await guild("Moderation");
          const general = channel(g, "general");
          const modLog = channel(g, "mod-log");
          const deployed = await h.deploy(g.id, `${EXAMPLES}moderation.ts`);
          assert.equal(deployed.status, 201, JSON.stringify(deployed));

          let since = h.lastSeq();
          const warned = await h.emu.invokeSlash({
            guildId: g.id,
            channelId: general,
            userId: admin,
            name: "warn",
            options: [
              { name: "user", type: 6, value: member },
              { name: "reason", type: 3, value: "spamming" },
            ],
          });
          const reply = await h.waitAfter(since, callbackOf(warned.interactionId));
          assert.match(String((body(reply).data as Body).content), /now has 1 warning/);
          await h.waitAfter(
            since,
            sentTo(modLog, (b) => /warned \(1\): spamming/.test(String(b.content))),
          );

          since = h.lastSeq();
          const bad = await say(g, "this has a badword in it");
          const deleted = await h.waitAfter(
            since,
            (a) => a.route === "DELETE /channels/:id/messages/:id" && a.path.endsWith(`/${bad.id}`),
          );
          assert.equal(deleted.status, 204);
          await h.waitAfter(
            since,
            sentTo(general, (b) => /not allowed here \(warning 2\)/.test(String(b.content))),
          );

          const menu = await runContextMenu(h.emu, {
            guildId: g.id,
            channelId: general,
            userId: admin,
            name: "Warnings",
            type: 2,
            targetId: member,
          });
          const card = await h.waitAfter(since, callbackOf(menu));
          const embed = ((body(card).data as Body).embeds as Body[])[0];
          assert.equal(embed.description, "2 warning(s)");
          assert.equal(((body(card).data as Body).flags as number) & 64, 64);

          for (let i = 0; i < 3; i++) {
            await say(g, `filler ${i}`);
          }
          since = h.lastSeq();
          await say(g, "!purge 2", admin);
          await h.waitAfter(
            since,
            sentTo(general, (b) => b.content === "🧹 Deleted 2 message(s)."),
          );
          const purged = (await h.emu.actions({ since })).filter((a) =>
            a.route === "DELETE /channels/:id/messages/:id"
          );
          assert.equal(purged.length, 3); // two messages and the command itself

          since = h.lastSeq();
          await say(g, "!purge lots", admin);
          await h.waitAfter(
            since,
            sentTo(
              general,
              (b) =>
                /count must be a whole number/.test(String(b.content)) &&
                /Usage: `!purge <count:integer>`/.test(String(b.content)),
            ),
          );

          since = h.lastSeq();
          const timeout = await h.emu.invokeSlash({
            guildId: g.id,
            channelId: general,
            userId: admin,
            name: "timeout",
            options: [{ name: "user", type: 6, value: member }, {
              name: "minutes",
              type: 4,
              value: 10,
            }],
          });
          const patched = await h.waitAfter(
            since,
            (a) => a.route === "PATCH /guilds/:id/members/:id",
          );
          const until = Date.parse(String(body(patched).communication_disabled_until));
          assert.ok(until > Date.now() + 9 * 60_000 && until < Date.now() + 11 * 60_000);
          await h.waitAfter(since, callbackOf(timeout.interactionId));

          since = h.lastSeq();
          await h.emu.invokeSlash({
            guildId: g.id,
            channelId: general,
            userId: admin,
            name: "ban",
            options: [{ name: "user", type: 6, value: member }, {
              name: "delete",
              type: 4,
              value: 3600,
            }],
          });
          const ban = await h.waitAfter(since, (a) => a.route === "PUT /guilds/:id/bans/:id");
          assert.equal(body(ban).delete_message_seconds, 3600);
          assert.ok(ban.status < 300, JSON.stringify(ban));
        },
      );

      await t.step(
        "tags: create, refuse duplicates, autocomplete, show by slash and prefix alias, list, delete",
        async () => {
          const g = await guild("Tags");
          const general = channel(g, "general");
          assert.equal((await h.deploy(g.id, `${EXAMPLES}tags.ts`)).status, 201);
          const tag = (
            sub: string,
            options: { name: string; type: number; value: unknown }[],
            userId = member,
          ) =>
            h.emu.invokeSlash({
              guildId: g.id,
              channelId: general,
              userId,
              name: "tag",
              options: [{ name: sub, type: 1, options }],
            });
          const content = async (since: number, id: string) =>
            String(((body(await h.waitAfter(since, callbackOf(id)))).data as Body).content);

          let since = h.lastSeq();
          const created = await tag("create", [{ name: "name", type: 3, value: "Hello" }, {
            name: "content",
            type: 3,
            value: "Hi there!",
          }]);
          assert.equal(await content(since, created.interactionId), `Tag "hello" created.`);
          since = h.lastSeq();
          const again = await tag("create", [{ name: "name", type: 3, value: "hello" }, {
            name: "content",
            type: 3,
            value: "other",
          }], admin);
          assert.equal(await content(since, again.interactionId), `Tag "hello" already exists.`);
          await tag("create", [{ name: "name", type: 3, value: "help" }, {
            name: "content",
            type: 3,
            value: "Ask in #general",
          }]);

          since = h.lastSeq();
          const auto = invokeInteraction(h.state, {
            guildId: g.id,
            channelId: general,
            userId: member,
            type: 4,
            data: {
              id: g.id,
              name: "tag",
              type: 1,
              options: [{
                name: "show",
                type: 1,
                options: [{ name: "name", type: 3, value: "hel", focused: true }],
              }],
            },
          });
          const choices = await h.waitAfter(since, callbackOf(auto));
          assert.equal(body(choices).type, 8);
          assert.deepEqual(((body(choices).data as Body).choices as Body[]).map((c) => c.value), [
            "hello",
            "help",
          ]);

          since = h.lastSeq();
          const shown = await tag("show", [{ name: "name", type: 3, value: "hello" }]);
          assert.equal(await content(since, shown.interactionId), "Hi there!\n-# used 1 time(s)");
          since = h.lastSeq();
          await say(g, "!t hello");
          await h.waitAfter(
            since,
            sentTo(general, (b) => b.content === "Hi there!\n-# used 2 time(s)"),
          );

          since = h.lastSeq();
          const listed = await tag("list", []);
          assert.equal(await content(since, listed.interactionId), "`hello`, `help`");

          since = h.lastSeq();
          const foreign = await tag("delete", [{ name: "name", type: 3, value: "hello" }], admin);
          assert.equal(
            await content(since, foreign.interactionId),
            "Only its author can delete a tag.",
          );
          since = h.lastSeq();
          const own = await tag("delete", [{ name: "name", type: 3, value: "hello" }]);
          assert.equal(await content(since, own.interactionId), `Tag "hello" deleted.`);
          assert.equal(await h.flora.guildKv.get(g.id, "tags", "hello"), null);
        },
      );

      await t.step(
        "role buttons: a button toggles a role; reactions add and remove one",
        async () => {
          const g = await guild("Roles");
          const general = channel(g, "general");
          const memberRole = g.roles.find((r) => r.name === "Member")!.id;
          assert.equal((await h.deploy(g.id, `${EXAMPLES}role_buttons.ts`)).status, 201);

          let since = h.lastSeq();
          const posted = await h.emu.invokeSlash({
            guildId: g.id,
            channelId: general,
            userId: admin,
            name: "roles",
            options: [{ name: "post", type: 1 }],
          });
          await h.waitAfter(since, callbackOf(posted.interactionId));
          const view = await h.emu.interaction(posted.interactionId);
          const message = view.originalMessage!;
          const buttons = (message.components![0] as { components: Body[] }).components;
          assert.ok(
            buttons.some((b) => b.custom_id === `role:${memberRole}`),
            JSON.stringify(buttons),
          );

          const hadRole = h.state.member(g.id, member).roles.includes(memberRole);
          since = h.lastSeq();
          const click = await h.emu.invokeComponent({
            channelId: general,
            messageId: message.id,
            userId: member,
            customId: `role:${memberRole}`,
          });
          const change = await h.waitAfter(
            since,
            (a) => a.route.endsWith("/members/:id/roles/:id"),
          );
          assert.equal(change.route.startsWith("DELETE"), hadRole);
          const answer = await h.waitAfter(since, callbackOf(click.interactionId));
          assert.match(String((body(answer).data as Body).content), hadRole ? /Removed/ : /Added/);
          assert.equal(h.state.member(g.id, member).roles.includes(memberRole), !hadRole);

          since = h.lastSeq();
          await h.emu.invokeSlash({
            guildId: g.id,
            channelId: general,
            userId: admin,
            name: "roles",
            options: [{ name: "react", type: 1 }],
          });
          const menuPost = await h.waitAfter(
            since,
            sentTo(general, (b) => String(b.content).startsWith("React for roles")),
          );
          const menuId = (menuPost.response as { id: string }).id;
          await h.waitAfter(
            since,
            (a) => a.route === "PUT /channels/:id/messages/:id/reactions/:id/@me",
          );
          const text = String(body(menuPost).content);
          const emoji = [...text.matchAll(/^(\S+) Member$/gm)][0][1];

          // Take the role first, so the reaction has something to add.
          if (h.state.member(g.id, member).roles.includes(memberRole)) {
            h.state.member(g.id, member).roles = h.state.member(g.id, member).roles.filter((r) =>
              r !== memberRole
            );
          }
          since = h.lastSeq();
          const reaction = {
            user_id: member,
            channel_id: general,
            message_id: menuId,
            guild_id: g.id,
            emoji: { id: null, name: emoji },
          };
          h.emit({
            t: "MESSAGE_REACTION_ADD",
            d: { ...reaction, member: h.state.memberToApi(h.state.member(g.id, member)) },
            guildId: g.id,
          });
          const added = await h.waitAfter(
            since,
            (a) => a.route === "PUT /guilds/:id/members/:id/roles/:id",
          );
          assert.ok(added.path.endsWith(`/${member}/roles/${memberRole}`));
          since = h.lastSeq();
          h.emit({ t: "MESSAGE_REACTION_REMOVE", d: reaction, guildId: g.id });
          const removed = await h.waitAfter(
            since,
            (a) => a.route === "DELETE /guilds/:id/members/:id/roles/:id",
          );
          assert.ok(removed.path.endsWith(`/${member}/roles/${memberRole}`));
        },
      );

      await t.step("reminders: scheduled by /remind, delivered as a task when due", async () => {
        const g = await guild("Reminders");
        const general = channel(g, "general");
        assert.equal((await h.deploy(g.id, `${EXAMPLES}reminders.ts`)).status, 201);
        let since = h.lastSeq();
        const set = await h.emu.invokeSlash({
          guildId: g.id,
          channelId: general,
          userId: member,
          name: "remind",
          options: [{ name: "minutes", type: 4, value: 1 }, {
            name: "text",
            type: 3,
            value: "stretch",
          }],
        });
        await h.waitAfter(since, callbackOf(set.interactionId));
        since = h.lastSeq();
        const listed = await h.emu.invokeSlash({
          guildId: g.id,
          channelId: general,
          userId: member,
          name: "reminders",
        });
        assert.match(
          String(
            (body(await h.waitAfter(since, callbackOf(listed.interactionId))).data as Body).content,
          ),
          /stretch/,
        );

        // The task scheduler's clock: a tick before the task is due fires nothing.
        assert.deepEqual(await h.flora.tasks.tick(new Date()), []);
        since = h.lastSeq();
        const fired = await h.flora.tasks.tick(new Date(Date.now() + 3 * 60_000));
        assert.deepEqual(fired.filter((f) => f.guildId === g.id).map((f) => f.task.name), [
          "remind",
        ]);
        await h.waitAfter(since, sentTo(general, (b) => b.content === `⏰ <@${member}>: stretch`));
        await eventually(async () => {
          assert.deepEqual((await h.flora.tasks.list(g.id, {})).tasks, []);
        });
      });

      await t.step(
        "poll: vote, change a vote, add an option by modal, private V2 results",
        async () => {
          const g = await guild("Polls");
          const general = channel(g, "general");
          assert.equal((await h.deploy(g.id, `${EXAMPLES}poll.ts`)).status, 201);
          let since = h.lastSeq();
          const started = await h.emu.invokeSlash({
            guildId: g.id,
            channelId: general,
            userId: admin,
            name: "poll",
            options: [{ name: "question", type: 3, value: "Lunch?" }, {
              name: "choices",
              type: 3,
              value: "Pizza, Sushi",
            }],
          });
          await h.waitAfter(since, callbackOf(started.interactionId));
          const message = (await h.emu.interaction(started.interactionId)).originalMessage!;
          const pollId = started.interactionId;
          const description = async () =>
            String(
              (await h.state.messageToApi(h.state.message(general, message.id))).embeds?.[0]
                ?.description,
            );

          since = h.lastSeq();
          const vote = await h.emu.invokeComponent({
            channelId: general,
            messageId: message.id,
            userId: member,
            customId: `poll:${pollId}:0`,
          });
          const update = await h.waitAfter(since, callbackOf(vote.interactionId));
          assert.equal(body(update).type, 7);
          assert.equal(await description(), "**Pizza** — 1 vote(s)\n**Sushi** — 0 vote(s)");
          since = h.lastSeq();
          const moved = await h.emu.invokeComponent({
            channelId: general,
            messageId: message.id,
            userId: member,
            customId: `poll:${pollId}:1`,
          });
          await h.waitAfter(since, callbackOf(moved.interactionId));
          assert.equal(await description(), "**Pizza** — 0 vote(s)\n**Sushi** — 1 vote(s)");

          since = h.lastSeq();
          const add = await h.emu.invokeComponent({
            channelId: general,
            messageId: message.id,
            userId: admin,
            customId: `poll-add:${pollId}`,
          });
          const modal = await h.waitAfter(since, callbackOf(add.interactionId));
          assert.equal(body(modal).type, 9);
          assert.equal((body(modal).data as Body).custom_id, `poll-add-modal:${pollId}`);
          since = h.lastSeq();
          const submit = invokeInteraction(h.state, {
            guildId: g.id,
            channelId: general,
            userId: admin,
            type: 5,
            messageId: message.id,
            data: {
              custom_id: `poll-add-modal:${pollId}`,
              components: [{
                type: 1,
                components: [{ type: 4, custom_id: "choice", value: "Tacos" }],
              }],
            },
          });
          await h.waitAfter(since, callbackOf(submit));
          assert.equal(
            await description(),
            "**Pizza** — 0 vote(s)\n**Sushi** — 1 vote(s)\n**Tacos** — 0 vote(s)",
          );

          since = h.lastSeq();
          const results = await h.emu.invokeComponent({
            channelId: general,
            messageId: message.id,
            userId: member,
            customId: `poll-results:${pollId}`,
          });
          const shown = await h.waitAfter(since, callbackOf(results.interactionId));
          const data = body(shown).data as Body;
          assert.equal(data.flags, 64 | (1 << 15));
          const container = (data.components as Body[])[0];
          assert.equal(container.type, 17);
          assert.deepEqual((container.components as Body[]).at(2), {
            type: 10,
            content: "▫️ Pizza: 0",
          });
          assert.deepEqual((container.components as Body[]).at(3), {
            type: 10,
            content: "✅ Sushi: 1",
          });
        },
      );
    } finally {
      await h.close();
    }
  },
});
