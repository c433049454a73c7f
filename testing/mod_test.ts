/**
 * The test kit, used the way a script author would: on the playground's
 * demo bot (dev/examples/garden_bot.ts), running in real sandboxes.
 */

import assert from "node:assert/strict";
import { ExpectationError, loadBot, parseDuration, testBot } from "./mod.ts";

const GARDEN = new URL("../dev/examples/garden_bot.ts", import.meta.url);

testBot("members chat, run commands, click, pick and fill modals", GARDEN, async (bot, t) => {
  const bob = bot.member("bob");
  const alice = bot.member("alice");

  await t.step("a prefix command is answered, with a reaction", async () => {
    await bob.send("!water");
    const reply = await bot.expectMessage("💧 The garden is watered.");
    await bot.expectMessage((m) =>
      m.id === reply.id && m.reactions?.some((r) => r.emoji.name === "🌻") === true
    );
  });

  let poll = await bob.slash("poll", { question: "More tulips?" });
  await t.step("a slash command answers with an embed and components", () => {
    assert.equal(poll.type, 4);
    assert.equal(poll.message?.embeds[0].description, "More tulips?");
  });

  await t.step("a click updates the message; KV and logs show it", async () => {
    const updated = await alice.click(poll.message!, "Yes");
    assert.equal(updated.type, 7);
    assert.deepEqual(updated.message?.embeds[0].fields?.map((f) => f.value), ["1", "0"]);
    assert.equal(await bot.kv("votes").get("yes"), 1);
    assert.deepEqual(await bot.kv("votes").entries(), { question: "More tulips?", yes: 1 });
    await bot.expectLog("alice voted yes (1)");
    poll = updated;
  });

  await t.step("a select pick is answered ephemerally", async () => {
    const picked = await bob.select(poll.message!, "season", ["autumn"]);
    assert.equal(picked.message?.content, "You picked **autumn**.");
    assert.equal((picked.message!.flags & 64) !== 0, true);
  });

  await t.step("a modal is filled and submitted", async () => {
    const opened = await bob.click(poll.message!, "Leave feedback");
    assert.equal(opened.modal?.title, "Garden feedback");
    const done = await bob.submitModal(opened, { plant: "Fern" });
    assert.match(JSON.stringify(done.message?.components), /Favourite plant: \*\*Fern\*\*/);
    assert.deepEqual(await bot.kv("feedback").get(bob.userId), { plant: "Fern", note: "" });
  });

  await t.step("autocomplete suggestions and reactions", async () => {
    assert.deepEqual(await bob.autocomplete("plant", { name: "ros" }, "name"), [
      { name: "Rose", value: "rose" },
      { name: "Rosemary", value: "rosemary" },
    ]);
    const planted = await bob.slash("plant", { name: "fern" });
    assert.equal(planted.message?.content, "🌱 Planted fern.");
    await alice.react(planted.message!, "🌿");
    await bob.react(planted.message!, "🌿");
    const [reacted] = (await bot.messages()).filter((m) => m.id === planted.message!.id);
    assert.deepEqual(reacted.reactions?.map((r) => [r.emoji.name, r.count]), [["🌿", 2]]);
    await bob.react(planted.message!, "🌿");
    const [after] = (await bot.messages()).filter((m) => m.id === planted.message!.id);
    assert.deepEqual(after.reactions?.map((r) => [r.emoji.name, r.count]), [["🌿", 1]]);
  });

  await t.step("user and message context-menu commands get their target", async () => {
    const card = await alice.userCommand("Gardener card", bob);
    assert.equal(card.message?.content, "🧑‍🌾 bob tends this garden.");
    const said = await bob.send("first rose of spring");
    const pressed = await alice.messageCommand("Press flower", said);
    assert.equal(pressed.message?.content, '🌸 Pressed: "first rose of spring"');
    await assert.rejects(
      alice.userCommand("Nope", bob),
      /no user command "Nope" is registered; the script registered user commands: "Gardener card"/,
    );
  });

  await t.step("mistakes in a test are explained", async () => {
    await assert.rejects(bob.click(poll.message!, "Maybe"), /no component "Maybe"; it has: Yes/);
    await assert.rejects(bob.slash("nope"), /\/nope is not registered; .*\/poll/);
    await assert.rejects(bob.slash("poll", { colour: "red" }), /no option "colour"/);
    await assert.rejects(bob.submitModal(poll, {}), /not a modal/);
    assert.throws(() => bot.member("carol"), /no member "carol"; members: alice, bob/);
  });
});

testBot("time moves forward for cron jobs", GARDEN, async (bot) => {
  // The job runs daily at 08:00 UTC. Start from the next 09:00, whatever the real time is.
  const nine = new Date(bot.clock.now());
  nine.setUTCHours(9, 0, 0, 0);
  if (nine <= bot.clock.now()) nine.setUTCDate(nine.getUTCDate() + 1);
  const before = (await bot.clock.advanceTo(nine)).length;
  assert.ok(before <= 1);
  const fired = await bot.clock.advance("2d");
  assert.deepEqual(fired.map((f) => [f.name, f.at.getUTCHours(), f.at.getUTCMinutes()]), [
    ["daily-water", 8, 0],
    ["daily-water", 8, 0],
  ]);
  assert.equal(bot.clock.now().getTime() - nine.getTime(), 2 * 86_400_000);
  await bot.expectLog(`watered by cron (${before + 2})`);
  assert.equal(await bot.kv("votes").get("cron-waterings"), before + 2);
  await assert.rejects(bot.clock.advanceTo(nine), /time only moves forward/);
  // Far jumps stay fast: each due run is visited, not each minute.
  const month = await bot.clock.advance("30d");
  assert.equal(month.length, 30);
  const total = before + 2 + 30;
  await bot.waitFor(
    async () => (await bot.kv("votes").get("cron-waterings")) === total,
    `the cron job counting to ${total}`,
  );
});

testBot(
  "a new member can be added, and expectations that fail say what happened",
  GARDEN,
  async (bot) => {
    const carol = await bot.addMember("carol", { roles: ["Member"] });
    await carol.send("!water", { channel: "bot-commands" });
    await bot.expectMessage(/watered/, { channel: "bot-commands" });
    const quick = await loadBot(GARDEN, { timeoutMs: 300 });
    try {
      await quick.member("bob").send("!water");
      const error = await quick.expectMessage("never sent").catch((e) => e);
      await assert.rejects(
        quick.waitFor(() => false, "the impossible"),
        /the impossible did not happen within 300 ms/,
      );
      assert.ok(error instanceof ExpectationError);
      assert.match(
        error.message,
        /no message matching "never sent" within 300 ms; it sent:\n {2}Flora \[bot\]: 💧 The garden is watered\./,
      );
    } finally {
      await quick.close();
    }
  },
);

Deno.test("durations", () => {
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  assert.equal(parseDuration(5), 5);
  assert.throws(() => parseDuration("soon"), /"soon" is not a duration like 90s/);
});

Deno.test({
  name: "a script that fails to load is reported",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/bad.ts`,
        `createBot({});\nthrow new Error("no token configured");\n`,
      );
      await assert.rejects(
        loadBot(`${dir}/bad.ts`),
        /the script did not load: .*no token configured/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
