/** The leaderboard example, driven through the test kit as its author would. */

import assert from "node:assert/strict";
import { testBot } from "../testing/mod.ts";

testBot(
  "leaderboard: messages earn XP, /rank and /top read the sorted set",
  new URL("./leaderboard.ts", import.meta.url),
  async (bot) => {
    const bob = bot.member("bob");
    const alice = bot.member("alice");

    assert.equal((await bob.slash("rank")).message?.content, "You have no XP yet: say something!");
    await bob.send("hello");
    await bob.send("spam that earns nothing within the minute");
    await bot.waitFor(async () => await bot.sorted("xp").score(bob.userId) === 1, "bob earns 1 XP");

    const given = await alice.slash("xp-give", { user: alice.userId, amount: 5 });
    assert.equal(given.message?.content, `<@${alice.userId}> now has 5 XP.`);
    assert.equal((await bob.slash("rank")).message?.content, "You are #2 with 1 XP.");
    assert.equal((await alice.slash("rank")).message?.content, "You are #1 with 5 XP.");

    const board = await bob.slash("top");
    assert.equal(
      board.message?.embeds[0].description,
      `**1.** <@${alice.userId}> — 5 XP\n**2.** <@${bob.userId}> — 1 XP`,
    );
    assert.deepEqual(await bot.sorted("xp").top(), [
      { key: alice.userId, score: 5 },
      { key: bob.userId, score: 1 },
    ]);
  },
);
