/**
 * Holding a guild's chat events while its sandbox process is backlogged
 * (`FLORA_BATCH_HOLD_MS` bounds it): the rule, what it is derived from, the
 * sweep, and the manager against a real sandbox process.
 */

import assert from "node:assert/strict";
import {
  ARRIVAL_GAP_MAX_MS,
  ArrivalGap,
  HeldGuilds,
  heldUntil,
  HOLD_FACTOR,
  HOLD_SWEEP_MS,
  holdMs,
  KEEPING_UP_MS,
  START_DELAY_STALE_MS,
  StartDelay,
} from "./batch_hold.ts";
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

Deno.test("holdMs is nothing while the process keeps up, its start delay past that, within the cap", () => {
  assert.equal(holdMs(1_000, 0), 0);
  assert.equal(holdMs(1_000, KEEPING_UP_MS - 0.1), 0, "keeping up");
  assert.equal(holdMs(1_000, KEEPING_UP_MS), KEEPING_UP_MS * HOLD_FACTOR);
  assert.equal(holdMs(1_000, 200), 200 * HOLD_FACTOR);
  assert.equal(holdMs(1_000, 5_000), 1_000, "the operator's bound");
  assert.equal(holdMs(0, 5_000), 0, "off");
});

Deno.test("heldUntil holds a backlogged process's idle chatty guild with a few young chat events", () => {
  const chat = event("messageCreate", 1_000);
  const loaded = {
    queue: { length: 1, head: chat, owesAnswer: false },
    arrivalGapMs: 100,
    processInflight: 64,
    startDelayMs: 100,
    fullBatch: 64,
    now: 1_050,
  };
  const due = 1_000 + 100 * HOLD_FACTOR;
  assert.equal(heldUntil(1_000, loaded), due, "a few times as long as batches wait to start");
  assert.equal(heldUntil(200, loaded), 1_200, "within the cap");
  assert.equal(heldUntil(0, loaded), undefined, "off");
  assert.equal(heldUntil(1_000, { ...loaded, startDelayMs: 2 }), undefined, "keeping up");
  assert.equal(heldUntil(1_000, { ...loaded, processInflight: 63 }), undefined, "not loaded");
  assert.equal(heldUntil(1_000, { ...loaded, now: due }), undefined, "held long enough");
  assert.equal(heldUntil(1_000, { ...loaded, arrivalGapMs: due - 1_000 }), undefined, "quiet");
  assert.equal(
    heldUntil(1_000, { ...loaded, queue: { length: 32, head: chat, owesAnswer: false } }),
    undefined,
  );
  assert.equal(
    heldUntil(1_000, { ...loaded, queue: { length: 31, head: chat, owesAnswer: false } }),
    due,
  );
  const interaction = { length: 1, head: event("interactionCreate", 1_000), owesAnswer: true };
  assert.equal(heldUntil(1_000, { ...loaded, queue: interaction }), undefined, "owed an answer");
  const behind = { length: 2, head: chat, owesAnswer: true };
  assert.equal(heldUntil(1_000, { ...loaded, queue: behind }), undefined, "one waits behind");
  const madeUp = { length: 1, head: event("messageCreate", 0), owesAnswer: false };
  assert.equal(heldUntil(1_000, { ...loaded, queue: madeUp }), undefined, "the host's own");
  const empty = { length: 0, head: undefined, owesAnswer: false };
  assert.equal(heldUntil(1_000, { ...loaded, queue: empty }), undefined);
});

Deno.test("StartDelay is a running mean of recent batches, and nothing once none started for a while", () => {
  const delay = new StartDelay();
  assert.equal(delay.at(0), 0);
  delay.observe(800, 1_000);
  assert.equal(delay.at(1_000), 100);
  delay.observe(-5, 1_010); // another process's clock a little ahead: no start delay
  assert.equal(delay.at(1_010), 87.5);
  assert.equal(delay.at(1_010 + START_DELAY_STALE_MS - 1), 87.5);
  assert.equal(delay.at(1_010 + START_DELAY_STALE_MS), 0, "stale");
});

Deno.test("ArrivalGap follows a guild's gaps, a long silence counting as the longest gap", () => {
  const arrivals = new ArrivalGap();
  assert.equal(arrivals.ms, ARRIVAL_GAP_MAX_MS);
  arrivals.observe(100_000);
  assert.equal(arrivals.ms, ARRIVAL_GAP_MAX_MS);
  for (let i = 1; i <= 4; i++) arrivals.observe(100_000 + 100 * i);
  assert.equal(arrivals.ms, 100 + (ARRIVAL_GAP_MAX_MS - 100) / 16);
  arrivals.observe(1_000_000);
  assert.ok(arrivals.ms > ARRIVAL_GAP_MAX_MS / 2, "quiet again");
});

Deno.test("HeldGuilds.release offers the held guilds it picks at once", () => {
  const pumped: string[] = [];
  const held = new HeldGuilds<string>((guild) => pumped.push(guild));
  const later = performance.now() + 60_000;
  for (const guild of ["a1", "b1", "a2"]) held.add(guild, later);
  held.release((guild) => guild.startsWith("a"));
  assert.deepEqual(pumped, ["a1", "a2"]);
  held.release(() => true);
  assert.deepEqual(pumped, ["a1", "a2", "b1"], "released ones are no longer held");
  held.close();
});

Deno.test("HeldGuilds.release stops once the process is loaded again; the rest stay held", async () => {
  const pumped: string[] = [];
  let offers = 0;
  let inflight = 0;
  const FULL = 2;
  const now = performance.now();
  // A guild pumped while its process is loaded is held again, as the manager's pump does.
  const held: HeldGuilds<string> = new HeldGuilds<string>((guild) => {
    offers++;
    if (inflight >= FULL) held.add(guild, performance.now() + HOLD_SWEEP_MS);
    else {
      pumped.push(guild);
      inflight++;
    }
  });
  for (const guild of ["a1", "b1", "a2", "a3", "a4"]) held.add(guild, now + 60_000);
  held.release((guild) => guild.startsWith("a"), () => inflight >= FULL);
  assert.deepEqual(pumped, ["a1", "a2"], "oldest first, until loaded again");
  assert.equal(offers, 2, "a3 and a4 were not offered only to be held again");
  inflight = 0;
  held.release((guild) => guild.startsWith("a"), () => inflight >= FULL);
  assert.deepEqual(pumped, ["a1", "a2", "a3", "a4"], "a3 and a4 kept their holds meanwhile");
  // Without a limit every pick is offered; one held again comes round at most once more.
  inflight = FULL;
  held.add("a5", now + 60_000);
  held.release((guild) => guild.startsWith("a"));
  await new Promise((r) => setTimeout(r, HOLD_SWEEP_MS * 3));
  inflight = 0;
  await new Promise((r) => setTimeout(r, HOLD_SWEEP_MS * 3));
  assert.deepEqual(pumped, ["a1", "a2", "a3", "a4", "a5"], "held again, then due");
  held.close();
});

Deno.test("HeldGuilds offers each held guild again once due, and stops when closed", async () => {
  const pumped: string[] = [];
  const held = new HeldGuilds<string>((guild) => pumped.push(guild));
  const now = performance.now();
  held.add("a", now);
  held.add("b", now);
  held.add("a", now);
  held.add("later", now + 60_000);
  await new Promise((r) => setTimeout(r, HOLD_SWEEP_MS * 3));
  assert.deepEqual(pumped, ["a", "b"]);
  held.add("c", now);
  held.close();
  await new Promise((r) => setTimeout(r, HOLD_SWEEP_MS * 3));
  assert.deepEqual(pumped, ["a", "b"]);
});

const SCRIPT = `
  createBot({
    prefixCommands: [
      prefix({ name: "echo", run: (ctx) => ctx.reply(ctx.argv.join(" ")) }),
      prefix({ name: "slow", run: () => new Promise((r) => setTimeout(r, 4_000)) }),
      // Keeps the worker's thread busy after the event is done: the next batch waits to start.
      prefix({
        name: "spin",
        run: () => {
          setTimeout(() => {
            const end = Date.now() + 1_200;
            while (Date.now() < end);
          }, 0);
        },
      }),
    ],
    slashCommands: [slash({ name: "ping", description: "p", run: (ctx) => ctx.reply("pong") })],
  });`;
const BUSY = "100000000000000001";
const QUIET = "100000000000000002";
const SPIN = "100000000000000003";

Deno.test("in a backlogged process a chatty guild's lone chat event waits for more; an interaction goes at once", async () => {
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
    const chat = (guild: string, content: string) =>
      sandboxes.deliver(guild, "messageCreate", messagePayload(guild, content));
    for (const guild of [QUIET, SPIN]) {
      sandboxes.register(testDeployment(guild, `d-${guild}`, SCRIPT));
      chat(guild, `!echo warm ${guild}`);
    }
    await executor.waitFor((calls) => calls.length === 2);

    // Queued while its worker starts, the busy guild's events go as one batch of 4 (4 s each).
    sandboxes.register(testDeployment(BUSY, "d-busy", SCRIPT));
    for (let i = 0; i < 4; i++) chat(BUSY, "!slow");
    await until("the busy guild's batch", () => sandboxes.inflightEvents() === 4);

    // A batch sent to a worker whose thread is busy waits there: a real start delay.
    chat(SPIN, "!spin");
    await until("the spin's start", () => sandboxes.inflightEvents() === 4);
    chat(SPIN, "!echo spun");
    await until("the spun reply", () => executor.contents().includes("spun"));
    await until("its done", () => sandboxes.inflightEvents() === 4);
    const backlogged = sandboxes.startDelayMs();
    assert.ok(backlogged >= KEEPING_UP_MS, `start delay ${backlogged} ms after the spin`);

    // A burst makes the guild chatty: its first event goes, the rest in one batch of 4, and
    // the one left over waits for company.
    const before = batches.get(QUIET)?.length ?? 0;
    for (let i = 1; i <= 6; i++) chat(QUIET, `!echo burst${i}`);
    await until("the burst's batches", () => sandboxes.inflightEvents() === 4);
    await until("the burst's replies", () => executor.contents().includes("burst5"));
    await until("the batch's done", () => sandboxes.inflightEvents() === 4);
    assert.equal(sandboxes.queuedEvents(), 1, "held");
    chat(QUIET, "!echo last");
    await until("the last replies", () => executor.contents().includes("last"));
    const burst = batches.get(QUIET)!.slice(before).map((ids) => ids.length);
    assert.deepEqual(burst, [1, 4, 2], "one wake-up for the held one and the next");

    // Held again; an interaction makes the guild's waiting events go at once.
    await until("the batch's done", () => sandboxes.inflightEvents() === 4);
    chat(QUIET, "!echo held");
    assert.equal(sandboxes.queuedEvents(), 1, "held again");
    sandboxes.deliver(
      QUIET,
      "interactionCreate",
      slashPayload(QUIET, "800000000000000003", "ping"),
    );
    assert.equal(sandboxes.queuedEvents(), 1, "the held chat event went; the interaction is next");
    await until("the interaction's answer", () => executor.contents().includes("pong"), 10_000);
    assert.deepEqual(executor.contents().slice(-2), ["held", "pong"]);
  });
});
