/**
 * Conformance with discord.js 14's full `Client` (caches, managers,
 * structures): it logs in, builds its guild/channel/role/member caches,
 * replies, edits, deletes, reacts, uploads, pins, registers commands and
 * answers interactions — and everything it received matches Discord's spec.
 */

import { Buffer } from "node:buffer";
import {
  ChannelType,
  Client,
  Events,
  GatewayIntentBits,
  type Message,
  type TextChannel,
} from "discord.js";
import { EmulatorClient, startEmulator } from "./mod.ts";
import { specViolations } from "./spec_conformance.ts";
import { assert, assertEquals } from "./test_helpers.ts";

Deno.test({
  name: "discord.js Client: caches, messages, reactions, uploads, pins, commands, interactions",
  // discord.js keeps sweeper and REST timers it clears asynchronously after destroy().
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const emu = await startEmulator({ heartbeatIntervalMs: 1100, identifyIntervalMs: 0 });
    const control = new EmulatorClient(emu.url);
    const client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.GuildMembers,
        GatewayIntentBits.GuildMessageReactions,
      ],
      rest: { api: emu.restBase },
    });
    const dispatches: { t: string | null; d: unknown }[] = [];
    client.on(Events.Raw, (packet: { t: string | null; d: unknown }) => dispatches.push(packet));
    const { guilds, users } = emu.seeded!;
    const guildId = guilds[0].id;
    try {
      const ready = new Promise<void>((resolve) =>
        client.once(Events.ClientReady, () => resolve())
      );
      await client.login(emu.token);
      await ready;
      // Caches built from READY and GUILD_CREATE.
      assertEquals(client.user?.id, emu.botUserId);
      assertEquals(client.guilds.cache.size, 2);
      const guild = client.guilds.cache.get(guildId)!;
      assertEquals(guild.name, guilds[0].name);
      const general = guild.channels.cache.get(guilds[0].channels.general) as TextChannel;
      assertEquals(general.type, ChannelType.GuildText);
      assertEquals(
        guild.roles.cache.find((r) => r.name === "Admin")?.colors.primaryColor,
        0xe74c3c,
      );
      assert(guild.members.me, "the bot's own member is cached");

      // A user's message arrives as a Message; the bot replies, edits, reacts, deletes.
      const received = new Promise<Message>((resolve) =>
        client.on(Events.MessageCreate, (m) => {
          if (m.content === "!hello") resolve(m);
        })
      );
      await control.sendMessage({
        guildId,
        channelId: general.id,
        userId: users.member,
        content: "!hello",
      });
      const hello = await received;
      assertEquals(hello.author.username, "bob");
      const reply = await hello.reply("hi bob");
      assertEquals(reply.reference?.messageId, hello.id);
      const edited = await reply.edit("hi bob (edited)");
      assertEquals(edited.content, "hi bob (edited)");
      await hello.react("👍");
      const fetched = await general.messages.fetch(hello.id);
      assertEquals(fetched.reactions.cache.get("👍")?.count, 1);

      // Uploads and pins (discord.js uses the current /messages/pins routes).
      const upload = await general.send({
        content: "a file",
        files: [{ attachment: Buffer.from("hello"), name: "hello.txt" }],
      });
      assertEquals(upload.attachments.first()?.name, "hello.txt");
      await upload.pin();
      const pins = await general.messages.fetchPins();
      assertEquals(pins.items.map((p) => p.message.id), [upload.id]);
      assert(emu.actions.list().some((a) => a.route === "PUT /channels/:id/messages/pins/:id"));
      await upload.unpin();
      await reply.delete();
      const history = await general.messages.fetch({ limit: 10 });
      assert(!history.has(reply.id));

      // Commands: registered through the guild's command manager, answered as interactions.
      await guild.commands.set([{ name: "ping", description: "Replies with pong" }]);
      const answered = new Promise<void>((resolve) =>
        client.on(Events.InteractionCreate, async (interaction) => {
          if (!interaction.isChatInputCommand()) return;
          await interaction.reply({ content: `pong, ${interaction.user.username}` });
          resolve();
        })
      );
      const { interactionId } = await control.invokeSlash({
        guildId,
        channelId: general.id,
        userId: users.member,
        name: "ping",
      });
      await answered;
      const view = await control.interaction(interactionId);
      assertEquals(view.originalMessage?.content, "pong, bob");

      assertEquals(specViolations(emu.actions.list(), dispatches), []);
    } finally {
      await client.destroy();
      await emu.close();
    }
  },
});
