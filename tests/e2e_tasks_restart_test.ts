/**
 * Durable tasks across a host restart: a task scheduled before flora stops
 * fires after it starts again on the same data, once, with its id.
 */

import assert from "node:assert/strict";
import { sentTo, startSdkFlora } from "./helpers/sdk_flora.ts";

const SCRIPT = `
tasks.on("nudge", async (task) => {
  await discord.sendMessage(task.payload.channelId, "nudge " + task.id + " attempt " + task.attempt);
});
createBot({ prefixCommands: [
  prefix({ name: "later", run: async (ctx) => {
    const task = await tasks.schedule("nudge", { in: "1h" }, { channelId: ctx.channelId }, { key: "nudge" });
    await ctx.reply("scheduled " + task.id);
  } }),
] });
`;

Deno.test({
  name: "a task scheduled before a restart fires after it, once, with its id",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    let h = await startSdkFlora();
    const dataDir = h.dataDir;
    try {
      const guild = h.world.guilds[0];
      const channelId = guild.channels.general;
      assert.equal((await h.deployCode(guild.id, SCRIPT)).status, 201);
      let since = h.lastSeq();
      await h.emu.sendMessage({
        guildId: guild.id,
        channelId,
        userId: h.world.users.member,
        content: "!later",
      });
      const reply = await h.waitAfter(since, sentTo(channelId));
      const id = String((reply.body as { content: string }).content).replace("scheduled ", "");
      await h.close(true);

      h = await startSdkFlora(dataDir);
      assert.deepEqual(await h.flora.tasks.tick(new Date()), [], "not due yet");
      since = h.lastSeq();
      const fired = await h.flora.tasks.tick(new Date(Date.now() + 2 * 3_600_000));
      assert.deepEqual(fired.map((f) => [f.guildId, f.task.id]), [[guild.id, id]]);
      await h.waitAfter(since, sentTo(channelId, (b) => b.content === `nudge ${id} attempt 1`));
      for (let i = 0; (await h.flora.tasks.list(guild.id, {})).tasks.length > 0; i++) {
        assert.ok(i < 200, "the finished task is confirmed and removed");
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.deepEqual(await h.flora.tasks.tick(new Date(Date.now() + 5 * 3_600_000)), []);
    } finally {
      await h.close();
    }
  },
});
