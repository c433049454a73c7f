/**
 * The script SDK end to end: one flora (host, sandbox process, emulator),
 * one multi-file test bot (tests/fixtures/sdk_bot) bundled as `flora deploy`
 * does, and every feature driven the way Discord and its users would.
 */

import assert from "node:assert/strict";
import type { BotAction } from "../emulator/mod.ts";
import type { ApiApplicationCommand } from "../emulator/types.ts";
import {
  callbackOf,
  eventually,
  invokeInteraction,
  runContextMenu,
  sentTo,
  startSdkFlora,
} from "./helpers/sdk_flora.ts";

const BOT = new URL("./fixtures/sdk_bot/main.ts", import.meta.url).pathname;

type Body = Record<string, unknown>;
const body = (a: BotAction) => a.body as Body;
const data = (a: BotAction) => body(a).data as Body;

Deno.test({
  name: "the SDK works end to end through host, sandbox and emulator",
  // Discordeno keeps timers and sockets past close; flora.close() stops what flora owns.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await startSdkFlora();
    try {
      const [a, b] = h.world.guilds;
      const { admin, member } = h.world.users;
      const general = a.channels.general;
      const say = (content: string, userId = admin) =>
        h.emu.sendMessage({ guildId: a.id, channelId: general, userId, content });
      const log = (prefix: string) => h.waitForLog(a.id, (l) => l.message.startsWith(prefix));
      const slash = (
        name: string,
        options?: { name: string; type: number; value?: unknown; options?: unknown[] }[],
      ) => h.emu.invokeSlash({ guildId: a.id, channelId: general, userId: admin, name, options });
      const commandsOf = async () =>
        (await h.emu.world()).guilds.find((g) => g.id === a.id)!
          .commands as ApiApplicationCommand[];

      await t.step(
        "deploy registers slash and context-menu commands in Discord's shape",
        async () => {
          const since = h.lastSeq();
          const deployed = await h.deploy(a.id, BOT);
          assert.equal(deployed.status, 201, JSON.stringify(deployed));
          await h.waitAfter(since, (x) => x.route === "PUT /applications/:id/guilds/:id/commands");
          const commands = await commandsOf();
          const byName = (n: string) => commands.find((c) => c.name === n)!;
          assert.deepEqual(commands.map((c) => `${c.type}:${c.name}`).sort(), [
            "1:big",
            "1:panel",
            "1:search",
            "1:settings",
            "1:slow",
            "1:types",
            "1:v2",
            "2:Inspect",
            "3:Quote",
          ]);
          const types = byName("types");
          assert.equal(types.default_member_permissions, "8");
          assert.deepEqual(types.options!.map((o) => o.type), [3, 4, 10, 5, 6, 7, 8, 9, 11, 3]);
          assert.deepEqual(types.options![0], {
            type: 3,
            name: "text",
            description: "s",
            required: true,
            min_length: 1,
            max_length: 20,
          });
          assert.equal(types.options![1].min_value, 1);
          assert.equal(types.options![2].max_value, 1);
          assert.deepEqual(types.options![5].channel_types, [0]);
          assert.deepEqual(types.options![9].choices, [{ name: "Small", value: "s" }, {
            name: "Large",
            value: "l",
          }]);
          assert.deepEqual(byName("settings").options!.map((o) => `${o.type}:${o.name}`), [
            "1:show",
            "2:role",
          ]);
          assert.equal(byName("search").options![0].autocomplete, true);
        },
      );

      await t.step(
        "a redeploy with the same commands skips registration; a change registers",
        async () => {
          let since = h.lastSeq();
          assert.equal((await h.deploy(a.id, BOT)).status, 201);
          const after = await h.emu.actions({ since });
          assert.equal(
            after.filter((x) => x.route === "PUT /applications/:id/guilds/:id/commands").length,
            0,
          );
          assert.equal(
            after.filter((x) => x.route === "GET /applications/:id/guilds/:id/commands").length,
            1,
          );
          since = h.lastSeq();
          const changed = await h.deployCode(
            a.id,
            `createBot({ slashCommands: [slash({ name: "other", description: "x", run: () => {} })] });`,
          );
          assert.equal(changed.status, 201);
          await h.waitAfter(since, (x) => x.route === "PUT /applications/:id/guilds/:id/commands");
          assert.equal((await h.deploy(a.id, BOT)).status, 201);
        },
      );

      await t.step(
        "slash options of every type arrive typed; reply takes embeds, mentions, ephemeral",
        async () => {
          const since = h.lastSeq();
          const run = await slash("types", [
            { name: "text", type: 3, value: "hi" },
            { name: "count", type: 4, value: 3 },
            { name: "ratio", type: 10, value: 0.5 },
            { name: "flag", type: 5, value: true },
            { name: "who", type: 6, value: member },
            { name: "where", type: 7, value: general },
            { name: "role", type: 8, value: a.roles.member },
            { name: "any", type: 9, value: member },
            { name: "file", type: 11, value: "123456789" },
            { name: "size", type: 3, value: "l" },
          ]);
          const reply = await h.waitAfter(since, callbackOf(run.interactionId));
          assert.equal(body(reply).type, 4);
          assert.equal(
            data(reply).content,
            `hi|6|0.5|true|${member}|${general}|${a.roles.member}|${member}|123456789|l`,
          );
          assert.equal(data(reply).flags, 64);
          assert.deepEqual(data(reply).allowed_mentions, { parse: [] });
          assert.equal((data(reply).embeds as Body[])[0].title, "Options");
        },
      );

      await t.step("subcommands and groups route to their own handlers", async () => {
        let since = h.lastSeq();
        const show = await slash("settings", [{ name: "show", type: 1 }]);
        assert.equal(
          data(await h.waitAfter(since, callbackOf(show.interactionId))).content,
          "settings show",
        );
        since = h.lastSeq();
        const set = await slash("settings", [{
          name: "role",
          type: 2,
          options: [{
            name: "set",
            type: 1,
            options: [{ name: "role", type: 8, value: a.roles.admin }],
          }],
        }]);
        assert.equal(
          data(await h.waitAfter(since, callbackOf(set.interactionId))).content,
          `role set ${a.roles.admin}`,
        );
      });

      await t.step("autocomplete answers with the handler's choices", async () => {
        const since = h.lastSeq();
        const id = invokeInteraction(h.state, {
          guildId: a.id,
          channelId: general,
          userId: admin,
          type: 4,
          data: {
            name: "search",
            type: 1,
            options: [{ name: "fruit", type: 3, value: "ap", focused: true }],
          },
        });
        const answer = await h.waitAfter(since, callbackOf(id));
        assert.equal(body(answer).type, 8);
        assert.deepEqual(data(answer).choices, [{ name: "apple", value: "apple" }, {
          name: "apricot",
          value: "apricot",
        }]);
      });

      await t.step("user and message context-menu commands get their target", async () => {
        let since = h.lastSeq();
        const user = await runContextMenu(h.emu, {
          guildId: a.id,
          channelId: general,
          userId: admin,
          name: "Inspect",
          type: 2,
          targetId: member,
        });
        assert.equal(data(await h.waitAfter(since, callbackOf(user))).content, "user bob");
        const said = await say("quote me", member);
        since = h.lastSeq();
        const msg = await runContextMenu(h.emu, {
          guildId: a.id,
          channelId: general,
          userId: admin,
          name: "Quote",
          type: 3,
          targetId: said.id,
        });
        assert.equal(data(await h.waitAfter(since, callbackOf(msg))).content, "> quote me");
      });

      await t.step("defer, editReply, followUp and deleteReply", async () => {
        const since = h.lastSeq();
        const run = await slash("slow");
        const deferred = await h.waitAfter(since, callbackOf(run.interactionId));
        assert.deepEqual(body(deferred), { type: 5, data: { flags: 64 } });
        await log("OK followUp has id");
        await eventually(async () => {
          const view = await h.emu.interaction(run.interactionId);
          assert.deepEqual(view.responses.map((r) => r.kind), [
            "callback",
            "edit",
            "followup",
            "delete",
          ]);
          assert.equal(view.originalMessage, null);
          assert.equal(view.followups[0].content, "one more thing");
        });
      });

      await t.step(
        "buttons and selects route by custom id (exact and prefix); update, deferUpdate, modals",
        async () => {
          let since = h.lastSeq();
          const run = await slash("panel");
          await h.waitAfter(since, callbackOf(run.interactionId));
          const panel = (await h.emu.interaction(run.interactionId)).originalMessage!;
          const rows = panel.components as { components: Body[] }[];
          assert.deepEqual(rows.map((r) => r.components.map((c) => c.type)), [[2, 2, 2], [3], [5]]);

          const click = (
            customId: string,
            extra: { values?: string[]; componentType?: number } = {},
          ) =>
            h.emu.invokeComponent({
              channelId: general,
              messageId: panel.id,
              userId: member,
              customId,
              ...extra,
            });
          since = h.lastSeq();
          const item = await click("item:42");
          assert.equal(
            data(await h.waitAfter(since, callbackOf(item.interactionId))).content,
            "item 42",
          );

          since = h.lastSeq();
          const pick = await click("panel:pick", { values: ["a", "b"], componentType: 3 });
          assert.equal(body(await h.waitAfter(since, callbackOf(pick.interactionId))).type, 6);
          await eventually(() =>
            assert.equal(h.state.message(general, panel.id).message.content, "picked a,b")
          );

          since = h.lastSeq();
          const user = await click("panel:user", { values: [admin], componentType: 5 });
          assert.equal(
            data(await h.waitAfter(since, callbackOf(user.interactionId))).content,
            `user ${admin}`,
          );

          since = h.lastSeq();
          const form = await click("panel:modal");
          const modal = await h.waitAfter(since, callbackOf(form.interactionId));
          assert.equal(body(modal).type, 9);
          assert.equal(data(modal).custom_id, "form:7");
          assert.equal(((data(modal).components as Body[])[1].components as Body[])[0].style, 2);
          since = h.lastSeq();
          const submitted = invokeInteraction(h.state, {
            guildId: a.id,
            channelId: general,
            userId: member,
            type: 5,
            messageId: panel.id,
            data: {
              custom_id: "form:7",
              components: [
                { type: 1, components: [{ type: 4, custom_id: "name", value: "Bob" }] },
                { type: 1, components: [{ type: 4, custom_id: "bio", value: "hi" }] },
              ],
            },
          });
          assert.equal(
            data(await h.waitAfter(since, callbackOf(submitted))).content,
            "form 7: Bob/hi",
          );

          since = h.lastSeq();
          const update = await click("panel:update");
          const updated = await h.waitAfter(since, callbackOf(update.interactionId));
          assert.deepEqual(body(updated), {
            type: 7,
            data: { content: "updated", components: [] },
          });
        },
      );

      await t.step(
        "builders: Components V2 sets its flag; an embed over Discord's limit is refused before sending",
        async () => {
          let since = h.lastSeq();
          const v2 = await slash("v2");
          const shown = await h.waitAfter(since, callbackOf(v2.interactionId));
          assert.equal(data(shown).flags, 1 << 15);
          const container = (data(shown).components as Body[])[0];
          assert.deepEqual((container.components as Body[]).map((c) => c.type), [9, 14, 12, 1]);
          assert.equal(container.accent_color, 0x00ff00);

          since = h.lastSeq();
          await slash("big");
          const error = await log("Error in interactionCreate handler");
          assert.match(
            error.message,
            /embeds\[0\]\.title is 300 characters; Discord allows at most 256/,
          );
          const sent = (await h.emu.actions({ since })).filter((x) =>
            x.route.includes("/callback")
          );
          assert.equal(sent.length, 0);
        },
      );

      await t.step(
        "prefix commands: custom prefix, alias, quoted and typed arguments, usage on bad input",
        async () => {
          let since = h.lastSeq();
          await say(`?a <@${member}> 41 yes "two words" and more`);
          await h.waitAfter(
            since,
            sentTo(general, (x) => x.content === `${member}|42|true|"two words" and more|6`),
          );
          since = h.lastSeq();
          await say(`?args <@${member}> many`);
          const usage = await h.waitAfter(
            since,
            sentTo(general, (x) => /n must be a number/.test(String(x.content))),
          );
          assert.match(
            String(body(usage).content),
            /Usage: `\?args <user:user> <n:number> <yes:boolean> \[text\.\.\.\]`/,
          );
          await say(`!args <@${member}> 1 yes`); // wrong prefix: ignored
          since = h.lastSeq();
          await say(`?a ${member} 1 no`);
          await h.waitAfter(since, sentTo(general, (x) => x.content === `${member}|2|false|-|3`));
          assert.equal(
            (await h.emu.actions({ since: 0 })).filter(
              sentTo(general, (x) => String(x.content).endsWith("|1|true|-|3")),
            ).length,
            0,
          );
        },
      );

      await t.step("events of every kind reach the script with their payloads", async () => {
        const g = a.id;
        const seen = (name: string, key: string) =>
          h.waitForLog(g, (l) => l.message === `EVENT ${name} ${key}`);
        const said = await say("hello bot", member);
        await seen("messageCreate", said.id);
        const emit = (t: string, d: Body) => h.emit({ t, d, guildId: g });
        emit("MESSAGE_UPDATE", {
          id: said.id,
          channel_id: general,
          guild_id: g,
          content: "edited",
        });
        emit("MESSAGE_DELETE", { id: said.id, channel_id: general, guild_id: g });
        emit("MESSAGE_DELETE_BULK", { ids: ["11", "12"], channel_id: general, guild_id: g });
        const reaction = {
          user_id: member,
          channel_id: general,
          message_id: "21",
          guild_id: g,
          emoji: { id: null, name: "👍" },
        };
        emit("MESSAGE_REACTION_ADD", reaction);
        emit("MESSAGE_REACTION_REMOVE", { ...reaction, message_id: "22" });
        emit("MESSAGE_REACTION_REMOVE_ALL", { channel_id: general, message_id: "23", guild_id: g });
        emit("MESSAGE_REACTION_REMOVE_EMOJI", {
          channel_id: general,
          message_id: "24",
          guild_id: g,
          emoji: { id: null, name: "👍" },
        });
        const user = h.state.user(member);
        emit("GUILD_MEMBER_ADD", {
          guild_id: g,
          user,
          roles: [],
          joined_at: new Date().toISOString(),
        });
        emit("GUILD_MEMBER_UPDATE", { guild_id: g, user, roles: [a.roles.member] });
        emit("GUILD_MEMBER_REMOVE", { guild_id: g, user });
        const role = {
          id: "31",
          name: "New",
          color: 0,
          position: 1,
          permissions: "0",
          managed: false,
          mentionable: false,
          hoist: false,
        };
        emit("GUILD_ROLE_CREATE", { guild_id: g, role });
        emit("GUILD_ROLE_UPDATE", { guild_id: g, role: { ...role, id: "32" } });
        emit("GUILD_ROLE_DELETE", { guild_id: g, role_id: "33" });
        emit("CHANNEL_CREATE", { id: "41", type: 0, guild_id: g, name: "new" });
        emit("CHANNEL_UPDATE", { id: "42", type: 0, guild_id: g, name: "renamed" });
        emit("CHANNEL_DELETE", { id: "43", type: 0, guild_id: g, name: "gone" });
        emit("THREAD_CREATE", {
          id: "51",
          type: 11,
          guild_id: g,
          parent_id: general,
          name: "t",
          newly_created: true,
        });
        emit("THREAD_UPDATE", { id: "52", type: 11, guild_id: g, parent_id: general, name: "t2" });
        emit("THREAD_DELETE", { id: "53", type: 11, guild_id: g, parent_id: general });
        emit("GUILD_UPDATE", { ...h.state.guildToApi(g), name: "Renamed" });
        for (
          const [name, key] of [
            ["messageUpdate", said.id],
            ["messageDelete", said.id],
            ["messageDeleteBulk", "11,12"],
            ["reactionAdd", "21"],
            ["reactionRemove", "22"],
            ["reactionRemoveAll", "23"],
            ["reactionRemoveEmoji", "24"],
            ["memberAdd", member],
            ["memberUpdate", member],
            ["memberRemove", member],
            ["roleCreate", "31"],
            ["roleUpdate", "32"],
            ["roleDelete", "33"],
            ["channelCreate", "41"],
            ["channelUpdate", "42"],
            ["channelDelete", "43"],
            ["threadCreate", "51"],
            ["threadUpdate", "52"],
            ["threadDelete", "53"],
            ["guildUpdate", g],
          ]
        ) await seen(name, key);
        // Guild B's events never reach guild A's script.
        h.emit({
          t: "GUILD_ROLE_CREATE",
          d: { guild_id: b.id, role: { ...role, id: "39" } },
          guildId: b.id,
        });
        h.emit({ t: "GUILD_ROLE_DELETE", d: { guild_id: g, role_id: "34" }, guildId: g });
        await seen("roleDelete", "34");
        const all = await h.flora.logs.recent(g, 500);
        assert.equal(all.filter((l) => l.message === "EVENT roleCreate 39").length, 0);
      });

      await t.step("ready is delivered with the script's own guild only", async () => {
        await h.emu.gatewayFault({ kind: "invalid_session", resumable: false });
        await h.waitForLog(a.id, (l) => l.message === `EVENT ready ${a.id}`);
      });

      await t.step("Discord actions on the script's own guild", async () => {
        const act = async (cmd: string) => {
          const name = cmd.split(" ")[0];
          const count = (await h.flora.logs.recent(a.id, 500)).filter((l) =>
            l.message.startsWith(`OK ${name} `) || l.message.startsWith(`ERR ${name} `)
          ).length;
          await say(`?do ${cmd}`);
          return await eventually(async () => {
            const lines = (await h.flora.logs.recent(a.id, 500)).filter((l) =>
              l.message.startsWith(`OK ${name} `) || l.message.startsWith(`ERR ${name} `)
            );
            assert.ok(lines.length > count, `no result for ${cmd}`);
            return lines.at(-1)!.message;
          }, 10_000);
        };
        const sent = JSON.parse(
          (await act(`send ${general} first message`)).slice("OK send ".length),
        );
        assert.equal(sent.content, "first message");
        const id = sent.id as string;
        assert.match(await act(`edit ${general} ${id} edited text`), /^OK edit /);
        assert.equal(h.state.message(general, id).message.content, "edited text");
        assert.equal(await act(`get ${general} ${id}`), `OK get "edited text"`);
        assert.equal(await act(`list ${general}`), "OK list 2");
        assert.equal(await act(`react ${general} ${id} 👍`), "OK react null");
        assert.equal(h.state.message(general, id).reactions.get("👍")?.users.length, 1);
        assert.equal(await act(`unreact ${general} ${id} 👍`), "OK unreact null");
        await act(`react ${general} ${id} 🎉`);
        assert.equal(await act(`unreactAll ${general} ${id}`), "OK unreactAll null");
        assert.equal(h.state.message(general, id).reactions.size, 0);
        assert.equal(await act(`pin ${general} ${id}`), "OK pin null");
        assert.ok(h.state.channel(general).pins.includes(id));
        assert.equal(await act(`unpin ${general} ${id}`), "OK unpin null");
        assert.equal(await act(`thread ${general} ${id} talk`), `OK thread "talk"`);
        assert.equal(await act(`member ${member}`), `OK member "bob"`);
        assert.match(await act(`members`), /^OK members [1-9]/);
        assert.equal(await act(`addRole ${member} ${a.roles.member}`), "OK addRole null");
        assert.ok(h.state.member(a.id, member).roles.includes(a.roles.member));
        assert.equal(await act(`removeRole ${member} ${a.roles.member}`), "OK removeRole null");
        assert.ok(!h.state.member(a.id, member).roles.includes(a.roles.member));
        assert.equal(await act(`timeout ${member} 60000`), "OK timeout null");
        assert.ok(h.state.member(a.id, member).communicationDisabledUntil);
        assert.match(await act(`roles`), /^OK roles ".*Admin.*Member/);
        assert.equal(await act(`channel ${general}`), `OK channel "general"`);
        assert.equal(await act(`channels`), "OK channels true");
        assert.equal(await act(`delete ${general} ${id}`), "OK delete null");
        assert.throws(() =>
          h.state.message(general, id)
        );

        // Anything outside the guild is refused by the host, with a clear error.
        const foreignChannel = b.channels.general;
        assert.equal(
          await act(`send ${foreignChannel} hi`),
          `ERR send channel ${foreignChannel} is not a channel of this guild`,
        );
        assert.equal(
          await act(`react ${foreignChannel} 123 👍`),
          `ERR react channel ${foreignChannel} is not a channel of this guild`,
        );
        assert.equal(
          await act(`addRole ${member} ${b.roles.member}`),
          `ERR addRole role ${b.roles.member} is not a role of this guild`,
        );
        const stranger = await h.emu.createUser({ username: "stranger" });
        assert.equal(
          await act(`kick ${stranger.id}`),
          `ERR kick user ${stranger.id} is not a member of this guild`,
        );
        assert.equal(
          await act(`member ${stranger.id}`),
          `ERR member user ${stranger.id} is not a member of this guild`,
        );
        const secret = await h.emu.sendMessage({
          guildId: b.id,
          channelId: foreignChannel,
          userId: admin,
          content: "guild B's secret",
        });
        // Scripts cannot post raw calls (the worker is hardened); the host still checks bodies.
        await assert.rejects(
          () =>
            h.flora.sandboxes.operations.execute(a.id, "message.send", {
              channelId: general,
              data: {
                message_reference: { type: 1, channel_id: foreignChannel, message_id: secret.id },
              },
            }),
          new RegExp(`channel ${foreignChannel} is not a channel of this guild`),
        );
        assert.equal(
          (await h.emu.actions()).filter((x) => JSON.stringify(x.body ?? "").includes(secret.id))
            .length,
          0,
        );
        const foreignActions = (await h.emu.actions()).filter((x) =>
          x.channelId === foreignChannel || x.path.includes(b.roles.member)
        );
        assert.equal(foreignActions.length, 0);

        assert.equal(await act(`kick ${member}`), "OK kick null");
        assert.ok(!h.state.guild(a.id).members.has(member));
        assert.equal(await act(`ban ${stranger.id}`), "OK ban null");
        assert.ok(h.state.guild(a.id).bans.has(stranger.id));
        assert.equal(await act(`unban ${stranger.id}`), "OK unban null");
        assert.ok(!h.state.guild(a.id).bans.has(stranger.id));
      });

      await t.step(
        "KV: JSON values, TTL, metadata, prefix lists with cursors, compare-and-set, increment, limits",
        async () => {
          const kvRun = async (steps: unknown[]) => {
            const count = (await h.flora.logs.recent(a.id, 500)).filter((l) =>
              l.message.startsWith("KV ")
            ).length;
            await say(`?kv ${JSON.stringify(steps)}`);
            return await eventually(async () => {
              const lines = (await h.flora.logs.recent(a.id, 500)).filter((l) =>
                l.message.startsWith("KV ")
              );
              assert.ok(lines.length > count);
              return JSON.parse(lines.at(-1)!.message.slice(3)) as unknown[];
            }, 10_000);
          };
          const [set, got, entry, missing] = await kvRun([
            ["set", "user:1", { name: "Ann", tags: [1, 2] }, { metadata: { by: "test" } }],
            ["get", "user:1"],
            ["getEntry", "user:1"],
            ["get", "nope"],
          ]);
          assert.equal((set as Body).key, "user:1");
          assert.deepEqual(got, { name: "Ann", tags: [1, 2] });
          assert.deepEqual((entry as Body).metadata, { by: "test" });
          assert.equal(missing, null); // undefined, as JSON

          const version = (entry as Body).version as string;
          const [stale, fresh, absentOnly, taken] = await kvRun([
            ["compareAndSet", "user:1", "bogus-version", 1],
            ["compareAndSet", "user:1", version, { name: "Bea" }],
            ["compareAndSet", "new", null, "first"],
            ["compareAndSet", "new", null, "second"],
          ]);
          assert.equal(stale, null);
          assert.equal(((fresh as Body).value as Body).name, "Bea");
          assert.equal((absentOnly as Body).value, "first");
          assert.equal(taken, null);

          const [one, two, three] = await kvRun([["increment", "hits"], ["increment", "hits", 5], [
            "get",
            "hits",
          ]]);
          assert.deepEqual([one, two, three], [1, 6, 6]);

          const keys = Array.from({ length: 5 }, (_, i) => ["set", `page:${i}`, i]);
          const [, , , , , page1] = await kvRun([...keys, ["list", { prefix: "page:", limit: 3 }]]);
          const first = page1 as { entries: { key: string }[]; cursor?: string };
          assert.deepEqual(first.entries.map((e) => e.key), ["page:0", "page:1", "page:2"]);
          assert.ok(first.cursor);
          const [page2] = await kvRun([["list", {
            prefix: "page:",
            limit: 3,
            cursor: first.cursor,
          }]]);
          const second = page2 as { entries: { key: string }[]; cursor?: string };
          assert.deepEqual(second.entries.map((e) => e.key), ["page:3", "page:4"]);
          assert.equal(second.cursor, undefined);

          const [deleted, deletedAgain, other] = await kvRun([
            ["delete", "page:0"],
            ["delete", "page:0"],
            ["store:get", "other-store", "user:1"],
          ]);
          assert.deepEqual([deleted, deletedAgain, other], [true, false, null]);

          await kvRun([["set", "short", "lived", { ttlMs: 50 }]]);
          await new Promise((r) => setTimeout(r, 120));
          const [expired] = await kvRun([["get", "short"]]);
          assert.equal(expired, null);

          const [longKey, bigValue, reserved, badName] = await kvRun([
            ["set", "k".repeat(600), 1],
            ["set", "big", { $repeat: ["x", 70_000] }],
            ["store:get", "flora.cron", "x"],
            ["store:get", "no spaces", "x"],
          ]);
          assert.equal(longKey, "ERR key is 600 bytes in UTF-8; the limit is 512");
          assert.match(
            String(bigValue),
            /^ERR value is 70002 bytes as JSON; the limit is 65536 bytes/,
          );
          assert.match(String(reserved), /store names starting with "flora\." are reserved/);
          assert.match(String(badName), /kv store name "no spaces" is invalid/);
          // The guild's data is its own: guild B's store of the same name is empty.
          assert.equal(await h.flora.guildKv.get(b.id, "test", "hits"), null);
          assert.equal((await h.flora.guildKv.get(a.id, "test", "hits"))?.value, 6);
        },
      );

      await t.step(
        "console levels reach the guild log; a thrown error points at the author's file and line",
        async () => {
          await say("?levels");
          for (const level of ["debug", "info", "warn"] as const) {
            const line = await h.waitForLog(a.id, (l) => l.message === `level ${level}`);
            assert.equal(line.level, level);
          }
          const error = await h.waitForLog(a.id, (l) => l.message.startsWith("level error"));
          assert.equal(error.level, "error");
          assert.match(error.message, /code: 7/);

          await say("?fail");
          const failure = await log("Error in messageCreate handler");
          assert.equal(failure.level, "error");
          const lines = failure.message.split("\n");
          assert.match(lines[0], /Error: exploded: on purpose/);
          // lib/explode.ts line 4 throws, called from main.ts's ?fail command.
          assert.match(lines[1], /at explode \(.*fixtures\/sdk_bot\/lib\/explode\.ts:4:9\)$/);
          assert.match(lines[2], /fixtures\/sdk_bot\/main\.ts:\d+:\d+/);
          assert.ok(!failure.message.includes("blob:"), failure.message);
          assert.equal(lines.length, 3, failure.message);
        },
      );
    } finally {
      await h.close();
    }
  },
});
