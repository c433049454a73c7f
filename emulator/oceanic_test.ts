/**
 * Conformance with Oceanic.js (a third client, with its own caches and
 * structures), over a `compress=zlib-stream` gateway (node:zlib): it logs in,
 * builds its caches (roles with `colors` included), replies, edits, deletes,
 * reacts, uploads, pins, registers commands and answers interactions — and
 * everything it received matches Discord's spec.
 */

import { Buffer } from "node:buffer";
import { Client, CommandInteraction, Intents, type Message } from "oceanic.js";
import { EmulatorClient, startEmulator } from "./mod.ts";
import { specViolations } from "./spec_conformance.ts";
import { assert, assertEquals } from "./test_helpers.ts";

Deno.test({
  name:
    "Oceanic.js over zlib-stream: caches, messages, reactions, uploads, pins, commands, interactions",
  // Oceanic clears its REST and gateway timers asynchronously after disconnect().
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const emu = await startEmulator({ heartbeatIntervalMs: 1100, identifyIntervalMs: 0 });
    const control = new EmulatorClient(emu.url);
    const client = new Client({
      auth: `Bot ${emu.token}`,
      rest: { baseURL: `${emu.restBase}/v10` },
      gateway: {
        intents: Intents.GUILDS | Intents.GUILD_MESSAGES | Intents.MESSAGE_CONTENT |
          Intents.GUILD_MEMBERS | Intents.GUILD_MESSAGE_REACTIONS,
        compress: "zlib-stream",
        compressLibrary: "native",
        autoReconnect: false,
      },
    });
    const dispatches: { t: string | null; d: unknown }[] = [];
    client.on("packet", (packet) => dispatches.push(packet as { t: string | null; d: unknown }));
    const errors: unknown[] = [];
    client.on("error", (error) => errors.push(error));
    const { guilds, users } = emu.seeded!;
    const guildId = guilds[0].id;
    const generalId = guilds[0].channels.general;
    try {
      const ready = new Promise<void>((resolve) => client.once("ready", () => resolve()));
      await client.connect();
      await ready;
      assertEquals([...emu.gateway.connections].map((c) => c.compressor?.method), ["zlib-stream"]);
      // Caches built from READY and GUILD_CREATE (roles need `colors`).
      assertEquals(client.user.id, emu.botUserId);
      const guild = client.guilds.get(guildId)!;
      assertEquals(guild.name, guilds[0].name);
      assertEquals(client.guilds.size, 2);
      assert(guild.channels.get(generalId), "#general is cached");
      assertEquals(guild.roles.find((r) => r.name === "Admin")?.colors.primaryColor, 0xe74c3c);

      const received = new Promise<Message>((resolve) =>
        client.on("messageCreate", (m) => {
          if (m.content === "!hello") resolve(m as Message);
        })
      );
      await control.sendMessage({
        guildId,
        channelId: generalId,
        userId: users.member,
        content: "!hello",
      });
      const hello = await received;
      assertEquals(hello.author.username, "bob");
      const channels = client.rest.channels;
      const reply = await channels.createMessage(generalId, {
        content: "hi bob",
        messageReference: { messageID: hello.id },
      });
      assertEquals(reply.messageReference?.messageID, hello.id);
      const edited = await channels.editMessage(generalId, reply.id, { content: "edited" });
      assertEquals(edited.content, "edited");
      await channels.createReaction(generalId, hello.id, "👍");
      const upload = await channels.createMessage(generalId, {
        content: "a file",
        files: [{ name: "hello.txt", contents: Buffer.from("hello") }],
      });
      assertEquals(upload.attachments.first()?.filename, "hello.txt");
      await channels.pinMessage(generalId, upload.id);
      const pins = await channels.getPinnedMessages(generalId);
      assertEquals(pins.map((m) => m.id), [upload.id]);
      await channels.deleteMessage(generalId, reply.id);

      await client.application.bulkEditGuildCommands(guildId, [
        { type: 1, name: "ping", description: "Replies with pong" },
      ]);
      const answered = new Promise<void>((resolve) =>
        client.on("interactionCreate", async (interaction) => {
          if (!(interaction instanceof CommandInteraction)) return;
          await interaction.createMessage({ content: `pong, ${interaction.user.username}` });
          resolve();
        })
      );
      const { interactionId } = await control.invokeSlash({
        guildId,
        channelId: generalId,
        userId: users.member,
        name: "ping",
      });
      await answered;
      assertEquals(
        (await control.interaction(interactionId)).originalMessage?.content,
        "pong, bob",
      );

      assertEquals(errors, []);
      assertEquals(specViolations(emu.actions.list(), dispatches), []);
    } finally {
      client.disconnect(false);
      await emu.close();
    }
  },
});
