/**
 * The playground in headless Chromium: a real dev session (flora, sandbox
 * processes, emulator) runs dev/examples/garden_bot.ts; the browser chats,
 * runs a slash command through the options form, clicks buttons, picks from
 * a select, fills a modal, and reads the log and KV panes.
 *
 * Set FLORA_PLAYGROUND_SCREENSHOT=docs/playground.png to save a screenshot.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startPlayground } from "../../dev/playground/server.tsx";
import { startDevSession } from "../../dev/session.ts";
import { browserGate, launchBrowser } from "./browser.ts";

const gate = browserGate(Deno.env.toObject());

const BOT = new URL("../../dev/examples/garden_bot.ts", import.meta.url).pathname;
const BROKEN =
  `createBot({ prefixCommands: [prefix({ name: "x", run: (ctx) => ctx.reply("x") })] });
throw new Error("the config is missing");
`;

/** A message in the list that contains `text`. */
function message(page: Page, text: string) {
  return page.getByTestId("message").filter({ hasText: text });
}

Deno.test({
  name:
    "the playground chats, runs slash commands, clicks, selects, fills modals, shows logs and KV" +
    gate.note,
  ignore: gate.ignore,
  // The session runs sandbox child processes and Chromium; both are closed in `finally`.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dataDir = await Deno.makeTempDir({ prefix: "flora-playground-" });
    const scriptDir = await Deno.makeTempDir({ prefix: "flora-playground-src-" });
    const entry = `${scriptDir}/main.ts`;
    await Deno.copyFile(BOT, entry);
    const session = await startDevSession({ entry, dataDir, check: false });
    const playground = await startPlayground(session, { port: 0 });
    const browser = await launchBrowser();
    try {
      const first = await session.deploy();
      assert.equal(first.ok, true, first.error ?? "");
      const page = await browser.context.newPage();
      await page.goto(playground.url);

      await t.step("the guild's channels and members are listed", async () => {
        await page.getByTestId("channel-general").waitFor();
        await page.getByTestId("channel-bot-commands").waitFor();
        const members = await page.getByTestId("member-picker").locator("option").allTextContents();
        assert.deepEqual(members.map((m) => m.trim()), ["Alice (Admin)", "Bob (Member)"]);
        assert.equal(await page.getByTestId("deploy-status").textContent(), "r1 live");
      });

      await t.step("a message gets the bot's reply with its reaction", async () => {
        await page.getByTestId("composer").fill("!water");
        await page.getByTestId("composer").press("Enter");
        await page.locator(".message:not(.bot)").filter({ hasText: "!water" }).waitFor();
        const reply = message(page, "The garden is watered.");
        await reply.getByTestId("reaction").filter({ hasText: "🌻 1" }).waitFor();
        // Clicking a reaction toggles the member's own; the hover toolbar adds new ones.
        await reply.getByTestId("reaction").filter({ hasText: "🌻 1" }).click();
        await reply.locator(".reaction.me").filter({ hasText: "🌻 2" }).waitFor();
        await reply.hover();
        await reply.getByTestId("add-reaction").getByTitle("React with 🎉").click();
        await reply.locator(".reaction.me").filter({ hasText: "🎉 1" }).waitFor();
        await reply.getByTestId("reaction").filter({ hasText: "🌻 2" }).click();
        await reply.locator(".reaction:not(.me)").filter({ hasText: "🌻 1" }).waitFor();
      });

      await t.step("a slash command runs through its options form", async () => {
        await page.getByTestId("composer").fill("/po");
        await page.getByTestId("suggestions").getByText("/poll").click();
        const form = page.getByTestId("slash-form");
        await form.locator('input[name="question"]').fill("Plant more tulips?");
        await form.getByRole("button", { name: "Run /poll" }).click();
        const poll = message(page, "Plant more tulips?");
        await poll.getByTestId("embed").waitFor();
        await poll.getByRole("button", { name: "Yes" }).waitFor();
      });

      await t.step("an autocomplete option offers the script's suggestions", async () => {
        await page.getByTestId("composer").fill("/plant");
        await page.getByTestId("composer").press("Enter");
        const form = page.getByTestId("slash-form");
        await form.locator('input[name="name"]').pressSequentially("Ros");
        const suggestions = form.getByTestId("suggestions-name");
        await suggestions.getByRole("button", { name: "Rosemary" }).waitFor();
        assert.deepEqual(await suggestions.getByRole("button").allTextContents(), [
          "Rose",
          "Rosemary",
        ]);
        await suggestions.getByRole("button", { name: "Rosemary" }).click();
        assert.equal(await form.locator('input[name="name"]').inputValue(), "rosemary");
        await form.getByRole("button", { name: "Run /plant" }).click();
        await message(page, "🌱 Planted rosemary.").waitFor();
      });

      await t.step("clicking a button updates the message; logs and KV follow", async () => {
        const poll = message(page, "Plant more tulips?");
        await poll.getByRole("button", { name: "Yes" }).click();
        await poll.locator(".embed-field").filter({ hasText: "Yes" }).filter({ hasText: "1" })
          .waitFor();
        await page.getByTestId("logs").getByText("bob voted yes (1)", { exact: false }).waitFor();
        const kv = page.getByTestId("kv");
        await kv.locator(".kv-entry").filter({ hasText: "question" }).filter({
          hasText: "Plant more tulips?",
        }).waitFor();
        await kv.locator(".kv-entry").filter({ hasText: "yes" }).filter({ hasText: "1" }).waitFor();
      });

      await t.step("another member votes", async () => {
        await page.getByTestId("member-picker").selectOption({ label: "Alice (Admin)" });
        const poll = message(page, "Plant more tulips?");
        await poll.getByRole("button", { name: "No" }).click();
        await poll.locator(".embed-field").filter({ hasText: "No" }).filter({ hasText: "1" })
          .waitFor();
      });

      await t.step("a select menu pick is answered ephemerally", async () => {
        await message(page, "Plant more tulips?").locator('select[data-custom-id="season"]')
          .selectOption("summer");
        const answer = message(page, "You picked summer.");
        await answer.getByText("Only you can see this").waitFor();
      });

      await t.step("a modal opens, is filled and submitted; Components V2 render", async () => {
        await message(page, "Plant more tulips?").getByRole("button", { name: "Leave feedback" })
          .click();
        const modal = page.getByTestId("modal");
        await modal.getByText("Garden feedback").waitFor();
        await modal.locator('input[name="plant"]').fill("Rose");
        await modal.locator('textarea[name="note"]').fill("Lovely paths");
        await modal.getByRole("button", { name: "Submit" }).click();
        const thanks = message(page, "Thanks, alice!");
        await thanks.getByTestId("container").getByText("Favourite plant: Rose").waitFor();
        assert.equal(await modal.count(), 0);
      });

      const screenshot = Deno.env.get("FLORA_PLAYGROUND_SCREENSHOT");
      if (screenshot) {
        await page.screenshot({ path: screenshot });
      }

      await t.step("a failed deploy shows its error; the old version keeps answering", async () => {
        await Deno.writeTextFile(entry, BROKEN);
        const result = await session.deploy();
        assert.equal(result.ok, false);
        await page.getByTestId("deploy-error").getByText("the config is missing", { exact: false })
          .waitFor();
        assert.equal(await page.getByTestId("deploy-status").textContent(), "deploy failed");
        await page.getByTestId("composer").fill("!water");
        await page.getByTestId("composer").press("Enter");
        await message(page, "The garden is watered.").nth(1).waitFor();
        assert.equal(await message(page, "The garden is watered.").count(), 2);
      });

      await t.step("a slash command runs only once its required options are filled", async () => {
        await page.getByTestId("composer").fill("/poll");
        await page.getByTestId("composer").press("Enter");
        const form = page.getByTestId("slash-form");
        await form.waitFor();
        assert.equal(await form.getByRole("button", { name: "Run /poll" }).isDisabled(), true);
      });
    } finally {
      await browser.close();
      await playground.close();
      await session.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await Deno.remove(scriptDir, { recursive: true }).catch(() => {});
    }
  },
});
