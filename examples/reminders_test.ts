/** The reminders example, driven through the test kit: durable tasks on virtual time. */

import assert from "node:assert/strict";
import { testBot } from "../testing/mod.ts";

testBot(
  "reminders: a task fires when due, once, survives a redeploy, and can be cancelled",
  new URL("./reminders.ts", import.meta.url),
  async (bot) => {
    const bob = bot.member("bob");
    const set = await bob.slash("remind", { minutes: 10, text: "tea" });
    const id = /id (\w+)/.exec(set.message?.content ?? "")?.[1];
    assert.ok(id, String(set.message?.content));
    assert.match((await bob.slash("reminders")).message?.content ?? "", /tea \(id \w+\)/);

    assert.deepEqual(await bot.clock.advance("9m"), []);
    await bot.redeploy(); // tasks persist across redeploys
    const fired = await bot.clock.advance("2m");
    assert.deepEqual(fired.map((run) => [run.name, run.task?.id, run.task?.attempt]), [
      ["remind", id, 1],
    ]);
    await bot.expectMessage(`⏰ <@${bob.userId}>: tea`);
    assert.deepEqual(await bot.clock.advance("1h"), [], "a finished task does not fire again");
    assert.equal((await bob.slash("reminders")).message?.content, "No pending reminders.");

    const other = await bob.slash("remind", { minutes: 5, text: "never" });
    const otherId = /id (\w+)/.exec(other.message?.content ?? "")![1];
    assert.equal(
      (await bot.member("alice").slash("unremind", { id: otherId })).message?.content,
      "You have no such reminder.",
    );
    assert.equal((await bob.slash("unremind", { id: otherId })).message?.content, "Cancelled.");
    assert.deepEqual(await bot.clock.advance("10m"), []);
  },
);
