/** The bank example, driven through the test kit: transactions over several keys. */

import assert from "node:assert/strict";
import { testBot } from "../testing/mod.ts";

testBot(
  "bank: /daily once a day, /pay moves coins without losing or making any",
  new URL("./bank.ts", import.meta.url),
  async (bot) => {
    const bob = bot.member("bob");
    const alice = bot.member("alice");
    const content = async (reply: Promise<{ message: { content: string } | null }>) =>
      (await reply).message?.content;

    assert.equal(await content(bob.slash("daily")), "+100 coins: you now have 100.");
    assert.equal(await content(bob.slash("daily")), "You already collected today's coins.");
    assert.equal(
      await content(bob.slash("pay", { user: alice.userId, amount: 500 })),
      "You do not have 500 coins.",
    );
    assert.equal(
      await content(bob.slash("pay", { user: alice.userId, amount: 30 })),
      `Paid 30 coins to <@${alice.userId}>: you have 70 left.`,
    );

    // Ten payments of 10 from 70 coins: exactly seven succeed, no coin is lost or made.
    const replies = await Promise.all(
      Array.from(
        { length: 10 },
        () => content(bob.slash("pay", { user: alice.userId, amount: 10 })),
      ),
    );
    assert.equal(
      replies.filter((r) => r?.startsWith("Paid 10 coins")).length,
      7,
      replies.join("\n"),
    );
    assert.deepEqual(await bot.kv("coins").entries(), { [bob.userId]: 0, [alice.userId]: 100 });
    assert.equal(await content(alice.slash("balance")), "You have 100 coins.");
  },
);
