/**
 * CPU bursts: a handler that asked for a burst runs past the event budget;
 * an empty bucket refuses with a readable error; each guild has its own
 * bucket, even with both guilds' workers in one sandbox process; the
 * bursts show in the metrics.
 */

import assert from "node:assert/strict";
import { type Arena, openArena } from "./arena.ts";

const BURSTY = `
const spin = (ms) => { const end = Date.now() + ms; while (Date.now() < end) {} };
createBot({ prefixCommands: [
  prefix({ name: "ping", run: (ctx) => ctx.reply("pong") }),
  prefix({ name: "slow", run: async (ctx) => { spin(3_000); await ctx.reply("too late"); } }),
  prefix({ name: "crunch", run: async (ctx) => {
    let granted;
    try {
      granted = await requestCpuBurst(Number(ctx.args[0]));
    } catch (error) {
      return await ctx.reply("refused: " + error.message);
    }
    spin(3_000); // past the 2 s event budget
    await ctx.reply("crunched with " + granted + " ms more");
  } }),
] });
`;

Deno.test({
  name: "a CPU burst lets one handler run past its budget, from a per-guild bucket",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const arena: Arena = await openArena({
      // 2 s: room for the burst's round trip to the host on a loaded machine.
      FLORA_EVENT_TIMEOUT_MS: "2000",
      FLORA_CPU_BURST_MS: "6000",
      FLORA_CPU_BURST_REFILL_MS: "0",
    });
    try {
      const [first, second] = arena.guilds;
      assert.equal(first.process, second.process, "both guilds share a sandbox process");
      for (const g of [first, second]) {
        assert.equal((await arena.deploy(g, BURSTY)).status, "active");
      }

      assert.equal(await arena.ask(first, "!crunch 4000"), "crunched with 4000 ms more");
      assert.equal(
        await arena.ask(first, "!crunch 4000"),
        "refused: CPU burst of 4000 ms refused: this guild has 2000 ms left of its 6000 ms burst budget",
      );
      // The other guild's bucket is its own.
      assert.equal(await arena.ask(second, "!crunch 4000"), "crunched with 4000 ms more");
      await arena.assertAnswers(first);
      assert.equal(
        await arena.ask(first, "!crunch 0"),
        "refused: requestCpuBurst needs a whole number of milliseconds ≥ 1 (got 0)",
      );

      const metrics = arena.flora.metrics;
      assert.equal(metrics.cpuBursts.get("granted"), 2);
      assert.equal(metrics.cpuBursts.get("refused"), 1);
      assert.equal(metrics.cpuBurstMs.get(), 8000);
      assert.match(metrics.render(), /flora_cpu_bursts_total\{outcome="granted"\} 2/);
      assert.equal(metrics.timeouts.total(), 0, "no handler was stopped");

      // Without a burst, the same work is stopped by the watchdog at the 2 s budget.
      const mark = await arena.logMark(second);
      await arena.say(second, "!slow");
      // The event timer or the silence limit, whichever the watchdog sees first.
      await arena.waitForLog(
        second,
        /ran longer than 2000 ms|did not yield for \d+ ms \(limit 2000 ms\)/,
        10_000,
        mark,
      );
    } finally {
      await arena.close();
    }
  },
});
