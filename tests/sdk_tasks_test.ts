/**
 * Tasks through the test kit, at the edges: a handler that throws gets the
 * task again (same id, next attempt) after the lease; scheduling the same
 * key replaces; a task whose name has no handler is retried, then dropped
 * with an error in the guild's log.
 */

import assert from "node:assert/strict";
import { loadBot } from "../testing/mod.ts";

const SCRIPT = `
tasks.on("flaky", async (task) => {
  if (task.attempt === 1) throw new Error("first try fails");
  await discord.sendMessage(task.payload, "flaky ok " + task.id + " attempt " + task.attempt);
});
tasks.on("say", (task) => discord.sendMessage(task.payload.channelId, task.payload.text));
createBot({ prefixCommands: [
  prefix({ name: "flaky", run: async (ctx) => {
    const task = await tasks.schedule("flaky", { in: "1m" }, ctx.channelId);
    await ctx.reply("flaky " + task.id);
  } }),
  prefix({ name: "say", run: async (ctx) => {
    await tasks.schedule("say", { in: "5m" }, { channelId: ctx.channelId, text: ctx.args.join(" ") }, { key: "say" });
    await ctx.reply("ok");
  } }),
  prefix({ name: "orphan", run: async (ctx) => {
    await tasks.schedule("nobody-handles-this", { in: "1m" });
    await ctx.reply("ok");
  } }),
] });
`;

Deno.test({
  name:
    "tasks: a failing handler is retried with the same id; a key replaces; no handler is dropped",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "flora-tasks-kit-" });
    await Deno.writeTextFile(`${dir}/main.ts`, SCRIPT);
    const bot = await loadBot(`${dir}/main.ts`);
    try {
      const bob = bot.member("bob");
      await t.step("a handler that throws gets the task again after the lease", async () => {
        await bob.send("!flaky");
        const id = (await bot.expectMessage(/^flaky \w+$/)).content.slice(6);
        const first = await bot.clock.advance("1m");
        assert.deepEqual(first.map((r) => [r.task?.id, r.task?.attempt]), [[id, 1]]);
        await bot.expectLog("first try fails");
        const again = await bot.clock.advance("1m");
        assert.deepEqual(again.map((r) => [r.task?.id, r.task?.attempt]), [[id, 2]]);
        await bot.expectMessage(`flaky ok ${id} attempt 2`);
      });
      await t.step("scheduling the same key replaces the pending task", async () => {
        await bob.send("!say first");
        await bot.expectMessage("ok");
        await bob.send("!say second");
        await bot.expectMessage("ok");
        assert.deepEqual((await bot.tasks()).map((task) => task.payload), [
          { channelId: bot.channel(), text: "second" },
        ]);
        await bot.clock.advance("5m");
        await bot.expectMessage("second");
        assert.deepEqual(await bot.tasks(), []);
      });
      await t.step(
        "a task nobody handles is tried 5 times, then dropped with an error",
        async () => {
          await bob.send("!orphan");
          await bot.expectMessage("ok");
          const runs = await bot.clock.advance("10m");
          assert.equal(runs.length, 5);
          await bot.expectLog(/task "nobody-handles-this" \(\w+\) was dropped/);
          assert.deepEqual(await bot.tasks(), []);
        },
      );
    } finally {
      await bot.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
