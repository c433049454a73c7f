/**
 * Blame that lands on the guilty when the cause of a process death cannot be
 * known: an attacker kills its sandbox process while a neighbour in the same
 * process is busy with a long (legitimate) handler, so both were silent and
 * nobody can be blamed. Both are moved to processes of their own; the
 * attacker's next kills are then its own, so it is blamed and suspended for
 * a crash loop, and the neighbour is never blamed and keeps answering.
 */

import assert from "node:assert/strict";
import { type Arena, attackScript, HEALTHY, openArena } from "./arena.ts";

/** Busy for 1.5 s (so it is reported silent), then fills the heap until V8 aborts the process. */
const ATTACKER = attackScript(`
  const end = Date.now() + 1500;
  while (Date.now() < end) {}
  const hoard = [];
  while (true) hoard.push(new Array(1e6).fill(1));
`);

/** HEALTHY, plus `!work`: a handler busy for 10 s, well within its budget. */
const NEIGHBOUR = HEALTHY.replace(
  'prefix({ name: "ping"',
  `prefix({ name: "work", run: (ctx) => {
    const end = Date.now() + 10000;
    while (Date.now() < end) {}
    return ctx.reply("worked");
  } }),
  prefix({ name: "ping"`,
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test({
  name: "an unattributable crash moves the suspects apart; the repeat is blamed on the attacker",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const arena: Arena = await openArena({
      FLORA_EVENT_TIMEOUT_MS: "30000",
      FLORA_CRASH_LOOP_FAILURES: "2",
    }, { captureOutput: true });
    try {
      const [hostile, neighbour, remote] = arena.guilds;
      assert.notEqual(NEIGHBOUR, HEALTHY);
      assert.equal((await arena.deploy(hostile, ATTACKER)).status, "active");
      assert.equal((await arena.deploy(neighbour, NEIGHBOUR)).status, "active");
      assert.equal((await arena.deploy(remote, HEALTHY)).status, "active");

      await arena.output.step(
        t,
        "both silent at the death: nobody blamed, both moved apart",
        async () => {
          const marks = [await arena.logMark(hostile), await arena.logMark(neighbour)];
          await arena.say(neighbour, "!work");
          await sleep(2_000); // the neighbour's handler is running: reported silent
          await arena.say(hostile, "!attack");
          // Generous: the machine is shared, the abort and the restart are slow under load.
          for (const [i, guild] of [hostile, neighbour].entries()) {
            const line = await arena.waitForLog(guild, /stopped \(process\)/, 30_000, marks[i]);
            assert.match(line, /2 scripts had stopped responding, so no one is blamed/);
          }
          const isolated = arena.flora.pool.isolatedPids();
          assert.deepEqual([...isolated.keys()].sort(), [hostile.id, neighbour.id].sort());
          await arena.assertAnswers(remote);
          await arena.assertAnswers(neighbour, 40_000);
          const pids = arena.flora.pool.pids();
          for (const pid of isolated.values()) assert.ok(pid && !pids.includes(pid));
        },
      );

      await arena.output.step(
        t,
        "the repeats are the attacker's alone: blamed, suspended",
        async () => {
          for (let round = 1; round <= 2; round++) {
            const mark = await arena.logMark(hostile);
            // The neighbour is busy again each time: now in a process of its own.
            const worked = arena.ask(neighbour, "!work", 60_000);
            await sleep(2_000);
            await arena.say(hostile, "!attack");
            const line = await arena.waitForLog(hostile, /stopped \(abort\)/, 40_000, mark);
            assert.match(line, /ran alone in it/);
            assert.equal(await worked, "worked", "the neighbour's handler ran to its end");
          }
          await arena.waitForLog(hostile, /suspended after a crash loop.*Deploy again to resume/);
          assert.equal((await arena.history(hostile))[0].status, "suspended");
        },
      );

      await arena.output.step(t, "the neighbour was never blamed and keeps answering", async () => {
        const lines = await arena.logs(neighbour);
        assert.ok(!lines.some((l) => /stopped \(abort\)|suspended/.test(l)), lines.join("\n"));
        assert.equal((await arena.current(neighbour))?.status, "active");
        await arena.assertAnswers(neighbour);
        await arena.assertAnswers(remote);
      });
    } finally {
      await arena.close();
    }
  },
});
