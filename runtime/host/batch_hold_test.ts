/**
 * Holding a guild's chat events under load (`FLORA_BATCH_HOLD_MS`): the
 * rule, the sweep, and the manager against a real sandbox process.
 */

import assert from "node:assert/strict";
import { HeldGuilds, HOLD_SWEEP_MS, holdsBatch } from "./batch_hold.ts";
import type { QueuedEvent } from "./guild_queue.ts";
import type { ScriptEventName } from "../sandbox/protocol/mod.ts";
import {
  messagePayload,
  RecordingExecutor,
  slashPayload,
  testDeployment,
  until,
  withSandboxes,
} from "./test_fixtures.ts";

const event = (name: ScriptEventName, receivedAt: number): QueuedEvent => ({
  name,
  payload: {},
  receivedAt,
});

Deno.test("holdsBatch holds a loaded process's idle guild with a few young chat events", () => {
  const chat = event("messageCreate", 1_000);
  const loaded = {
    queue: { length: 1, head: chat },
    processInflight: 64,
    fullBatch: 64,
    now: 1_500,
  };
  assert.equal(holdsBatch(2_000, loaded), true);
  assert.equal(holdsBatch(0, loaded), false, "off");
  assert.equal(holdsBatch(2_000, { ...loaded, processInflight: 63 }), false, "not loaded");
  assert.equal(holdsBatch(2_000, { ...loaded, now: 3_000 }), false, "held long enough");
  assert.equal(holdsBatch(2_000, { ...loaded, queue: { length: 32, head: chat } }), false);
  assert.equal(holdsBatch(2_000, { ...loaded, queue: { length: 31, head: chat } }), true);
  const interaction = { length: 1, head: event("interactionCreate", 1_000) };
  assert.equal(holdsBatch(2_000, { ...loaded, queue: interaction }), false, "owed an answer");
  const madeUp = { length: 1, head: event("messageCreate", 0) };
  assert.equal(holdsBatch(2_000, { ...loaded, queue: madeUp }), false, "the host's own");
  assert.equal(holdsBatch(2_000, { ...loaded, queue: { length: 0, head: undefined } }), false);
});

Deno.test("HeldGuilds offers each held guild again at the next sweep, and stops when closed", async () => {
  const pumped: string[] = [];
  const held = new HeldGuilds<string>((guild) => pumped.push(guild));
  held.add("a");
  held.add("b");
  held.add("a");
  await new Promise((r) => setTimeout(r, HOLD_SWEEP_MS * 3));
  assert.deepEqual(pumped, ["a", "b"]);
  held.add("c");
  held.close();
  await new Promise((r) => setTimeout(r, HOLD_SWEEP_MS * 3));
  assert.deepEqual(pumped, ["a", "b"]);
});

const SCRIPT = `
  createBot({
    prefixCommands: [
      prefix({ name: "echo", run: (ctx) => ctx.reply(ctx.argv.join(" ")) }),
      prefix({ name: "slow", run: () => new Promise((r) => setTimeout(r, 1_000)) }),
    ],
    slashCommands: [slash({ name: "ping", description: "p", run: (ctx) => ctx.reply("pong") })],
  });`;
const BUSY = "100000000000000001";
const QUIET = "100000000000000002";

Deno.test("under load a guild's lone chat event waits for more; an interaction goes at once", async () => {
  const executor = new RecordingExecutor();
  // A full batch is 4 events: the process is loaded with 4 in flight; 2 waiting go at once.
  const manager = { maxInflightPerGuild: 4, batchHoldMs: 60_000 };
  await withSandboxes(executor, { manager }, async (sandboxes) => {
    const batches = new Map<string, number[][]>();
    const started = sandboxes.eventsStarted.bind(sandboxes);
    sandboxes.eventsStarted = (key, ids) => {
      batches.set(key.guildId, [...(batches.get(key.guildId) ?? []), ids]);
      started(key, ids);
    };
    sandboxes.register(testDeployment(QUIET, "d-quiet", SCRIPT));
    sandboxes.deliver(QUIET, "messageCreate", messagePayload(QUIET, "!echo warm"));
    await executor.waitFor((calls) => calls.length === 1);
    // Unloaded, a lone chat event goes at once (the hold is a minute).
    sandboxes.deliver(QUIET, "messageCreate", messagePayload(QUIET, "!echo alone"));
    await until("the unloaded reply", () => executor.contents().includes("alone"), 10_000);

    // Queued while its worker starts, the busy guild's events go as one batch of 4 (1 s each).
    sandboxes.register(testDeployment(BUSY, "d-busy", SCRIPT));
    for (let i = 0; i < 4; i++) {
      sandboxes.deliver(BUSY, "messageCreate", messagePayload(BUSY, "!slow"));
    }
    await until("the busy guild's batch", () => sandboxes.inflightEvents() === 4);
    sandboxes.deliver(QUIET, "messageCreate", messagePayload(QUIET, "!echo one"));
    await new Promise((r) => setTimeout(r, 3 * HOLD_SWEEP_MS));
    assert.equal(batches.get(QUIET)?.length, 2, "held");
    sandboxes.deliver(QUIET, "messageCreate", messagePayload(QUIET, "!echo two"));
    await until("both replies", () => executor.contents().includes("two"), 10_000);
    assert.deepEqual(batches.get(QUIET)?.at(-1)?.length, 2, "one wake-up for both");

    sandboxes.deliver(
      QUIET,
      "interactionCreate",
      slashPayload(QUIET, "800000000000000003", "ping"),
    );
    await until("the interaction's answer", () => executor.contents().includes("pong"), 10_000);
    assert.deepEqual(executor.contents(), ["warm", "alone", "one", "two", "pong"]);
  });
});
