/**
 * Hostile scripts that hog a CPU core while still yielding, so they answer
 * every ping: timers that burn the core after the script loaded, and
 * handlers that burn CPU in slices with awaits between, event after event.
 * The watchdog's CPU accounting stops them with a log line that says what
 * happened, and the neighbouring guilds keep answering.
 */

import assert from "node:assert/strict";
import { type Arena, attackScript, HEALTHY, openArena } from "./arena.ts";
import { measureCpu, WORK } from "./cpu_work.ts";

/** Busy-waits `ms` of wall time (a CPU hog when the machine is not saturated). */
const BUSY = `const busy = (ms) => { const end = Date.now() + ms; while (Date.now() < end) {} };`;

Deno.test({
  name: "CPU hogs that keep yielding are stopped and their neighbours keep answering",
  // The host runs in this process with child sandbox processes, sockets and timers.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // Idle CPU is stopped after the 1.5 s event budget, before the share limit (2.4 s of CPU
    // within 4 s) is reached.
    const arena: Arena = await openArena({
      FLORA_EVENT_TIMEOUT_MS: "1500",
      FLORA_CPU_WINDOW_MS: "4000",
      FLORA_MAX_CPU_PERCENT: "60",
      FLORA_CRASH_LOOP_FAILURES: "100",
    });
    try {
      const [hostile, neighbour, remote] = arena.guilds;
      assert.equal((await arena.deploy(neighbour, HEALTHY)).status, "active");
      assert.equal((await arena.deploy(remote, HEALTHY)).status, "active");

      await t.step("a setInterval busy loop started at load", async () => {
        const mark = await arena.logMark(hostile);
        const deployed = await arena.deploy(
          hostile,
          `${BUSY}
          createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong") })] });
          setInterval(() => busy(40), 0);`,
        );
        assert.equal(deployed.status, "active");
        await arena.assertNeighboursAnswer();
        const line = await arena.waitForLog(hostile, /stopped \(cpu\)/, 20_000, mark);
        assert.match(
          line,
          /the script kept running with no event to handle: it used \d+% of a CPU core for [\d.]+ s after its handlers finished \(limit 1500 ms\)/,
        );
        await arena.assertNeighboursAnswer();
      });

      await t.step("a busy loop in timers a handler left behind", async () => {
        assert.equal(
          (await arena.deploy(
            hostile,
            BUSY + attackScript(`
              await ctx.reply("done, honest");
              const hog = () => { busy(20); setTimeout(hog, 0); };
              hog();`),
          )).status,
          "active",
        );
        const mark = await arena.logMark(hostile);
        assert.equal(await arena.ask(hostile, "!attack"), "done, honest");
        await arena.assertNeighboursAnswer();
        await arena.waitForLog(hostile, /stopped \(cpu\): the script kept running/, 20_000, mark);
        await arena.assertNeighboursAnswer();
        await arena.assertAnswers(hostile); // restarted with the next event
      });
    } finally {
      await arena.close();
    }
  },
});

Deno.test({
  name: "handlers that burn CPU in slices, event after event, are stopped past their share",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The share rule compares CPU time with wall time, so its limit must sit below what a busy
    // thread can get on this machine now (a fifth of a core or less when it is saturated): a
    // third of the measured share. Each event burns a fixed amount of CPU (its wall time grows
    // with load, hence the 10 s event budget), half of what the window allows: every event alone
    // is within the limits, two in a row are not.
    const { share, unitsPerMs } = await measureCpu();
    const limitPercent = Math.max(1, Math.min(60, Math.floor((share * 100) / 3)));
    const windowMs = 10_000;
    const eventCpuMs = (limitPercent / 100) * windowMs / 2;
    const sliceUnits = Math.max(1, Math.round((eventCpuMs / 20) * unitsPerMs));
    const arena: Arena = await openArena({
      FLORA_EVENT_TIMEOUT_MS: "10000",
      FLORA_CPU_WINDOW_MS: String(windowMs),
      FLORA_MAX_CPU_PERCENT: String(limitPercent),
      FLORA_CRASH_LOOP_FAILURES: "100",
    });
    try {
      const [hostile, neighbour, remote] = arena.guilds;
      assert.equal((await arena.deploy(neighbour, HEALTHY)).status, "active");
      assert.equal((await arena.deploy(remote, HEALTHY)).status, "active");
      assert.equal(
        (await arena.deploy(
          hostile,
          WORK + attackScript(`
            for (let i = 0; i < 20; i++) {
              work(${sliceUnits});
              await new Promise((r) => setTimeout(r, 0));
            }
            await ctx.reply("sliced " + ctx.args[0]);`),
        )).status,
        "active",
      );
      const mark = await arena.logMark(hostile);
      for (let i = 1; i <= 6; i++) await arena.say(hostile, `!attack ${i}`);
      await arena.assertNeighboursAnswer();
      const line = await arena.waitForLog(hostile, /stopped \(/, 60_000, mark);
      const context = `measured share ${share.toFixed(2)}, limit ${limitPercent}%, ` +
        `${eventCpuMs} ms of CPU per event`;
      assert.match(
        line,
        new RegExp(
          `stopped \\(cpu\\): the script used \\d+% of a CPU core for [\\d.]+ s ` +
            `\\(limit ${limitPercent}% over 10 s\\)`,
        ),
        context,
      );
      // Stopped before it got through the six: each had its budget, the core did not.
      const answered = (await arena.emu.messages(hostile.channelId))
        .filter((m) => m.content.startsWith("sliced "));
      assert.ok(answered.length < 6, `${answered.length} slow events answered (${context})`);
      await arena.assertNeighboursAnswer();
    } finally {
      await arena.close();
    }
  },
});
