/**
 * User and message context-menu commands run through the control API by
 * registered command id: the interaction names the command and its target,
 * with the target in `resolved`, as Discord sends it.
 */

import { startEmulator } from "./mod.ts";
import { EmulatorClient, EmulatorClientError } from "./client.ts";
import { api, assert, assertEquals, assertRejects } from "./test_helpers.ts";
import type { ApiApplicationCommand } from "./types.ts";

Deno.test("context menus: user and message commands carry target_id and resolved data", async () => {
  const emu = await startEmulator({ heartbeatIntervalMs: 1100, identifyIntervalMs: 0 });
  try {
    const { guilds, users } = emu.seeded!;
    const guild = guilds[0];
    const general = guild.channels.general;
    const registered = await api(
      emu,
      "PUT",
      `/applications/${emu.applicationId}/guilds/${guild.id}/commands`,
      [
        { name: "Inspect", type: 2 },
        { name: "Quote", type: 3 },
        { name: "ping", description: "ping" },
      ],
    );
    const [inspect, quote, ping] = registered.body as unknown as ApiApplicationCommand[];
    const control = new EmulatorClient(emu.url);

    const onUser = await control.invokeContextMenu({
      guildId: guild.id,
      channelId: general,
      userId: users.admin,
      commandId: inspect.id,
      targetId: users.member,
    });
    const userView = await control.interaction(onUser.interactionId);
    const data = userView.interaction.data!;
    assertEquals([data.id, data.name, data.type, data.target_id], [
      inspect.id,
      "Inspect",
      2,
      users.member,
    ]);
    assertEquals(data.resolved?.users?.[users.member]?.username, "bob");
    assert(data.resolved?.members?.[users.member]?.permissions);
    assertEquals("deaf" in data.resolved!.members![users.member], false);

    const said = await control.sendMessage({
      guildId: guild.id,
      channelId: general,
      userId: users.member,
      content: "quote me",
    });
    const onMessage = await control.invokeContextMenu({
      guildId: guild.id,
      channelId: general,
      userId: users.admin,
      commandId: quote.id,
      targetId: said.id,
    });
    const messageData = (await control.interaction(onMessage.interactionId)).interaction.data!;
    assertEquals(messageData.target_id, said.id);
    assertEquals(messageData.resolved?.messages?.[said.id]?.content, "quote me");

    const slash = await assertRejects(() =>
      control.invokeContextMenu({
        guildId: guild.id,
        channelId: general,
        userId: users.admin,
        commandId: ping.id,
        targetId: users.member,
      })
    ) as EmulatorClientError;
    assertEquals(slash.status, 400);
    const unknown = await assertRejects(() =>
      control.invokeContextMenu({
        guildId: guild.id,
        channelId: general,
        userId: users.admin,
        commandId: "1",
        targetId: users.member,
      })
    ) as EmulatorClientError;
    assertEquals(unknown.status, 404);
  } finally {
    await emu.close();
  }
});
