/**
 * flora's test kit for script authors. It runs your script exactly as
 * production does — bundled, in a sandboxed worker of a sandbox process,
 * behind flora's router and host operations — against the built-in Discord
 * emulator, and lets your test act as guild members, move time forward for
 * cron jobs, and check what the bot sent, logged and stored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { testBot } from "flora/testing";
 *
 * testBot("answers !ping", new URL("./main.ts", import.meta.url), async (bot) => {
 *   await bot.member("bob").send("!ping");
 *   await bot.expectMessage("pong!");
 *   const reply = await bot.member("bob").slash("ping");
 *   assert.equal(reply.message?.content, "pong!");
 * });
 * ```
 *
 * @module
 */

export {
  loadBot,
  type LoadBotOptions,
  TestBot,
  testBot,
  type TestKvStore,
  type TestSortedStore,
} from "./bot.ts";
export { type SlashOptions, TestMember } from "./member.ts";
export { type ClockRun, parseDuration, type TestClock } from "./clock.ts";
export type { TaskInfo } from "../runtime/sandbox/protocol/mod.ts";
export { ExpectationError, type MessageMatch } from "./expect.ts";
export type { InteractionReply } from "./answers.ts";
export { EmulatorClientError } from "../emulator/client.ts";
export type { ModalView } from "../emulator/modals.ts";
export type { ApiMessage } from "../emulator/types.ts";
export type { LogLine } from "../runtime/host/logs.ts";
