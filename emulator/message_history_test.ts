import { assertEquals } from "./test_helpers.ts";
import { EmulatorClient } from "./client.ts";
import { startEmulator } from "./mod.ts";

Deno.test("a channel keeps its newest messages up to the limit, and its pins", async () => {
  const emu = await startEmulator({ maxMessagesPerChannel: 3, rateLimits: { enabled: false } });
  try {
    const client = new EmulatorClient(emu.controlUrl);
    const guild = emu.seeded!.guilds[0];
    const channelId = guild.channels.general;
    const send = (content: string) =>
      client.sendMessage({
        guildId: guild.id,
        channelId,
        userId: emu.seeded!.users.member,
        content,
      });
    const first = await send("m0");
    const pinned = await fetch(`${emu.restBase}/v10/channels/${channelId}/pins/${first.id}`, {
      method: "PUT",
      headers: { authorization: `Bot ${emu.token}` },
    });
    assertEquals(pinned.status, 204);
    for (let i = 1; i <= 5; i++) await send(`m${i}`);
    const kept = (await client.messages(channelId)).map((m) => m.content);
    assertEquals(kept, ["m0", "m4", "m5"], "the pin, then the newest");
  } finally {
    await emu.close();
  }
});
