/**
 * What one guild can put in flight is bounded inside its worker: a 50 MB
 * `console.log` is cut before it leaves the worker, and 50,000 concurrent
 * `kv.get` go to the host a few dozen at a time, where the host serves each
 * guild's storage calls at its own budget (8 at once, a bounded rate). A
 * neighbour in the same sandbox process keeps answering at about its quiet
 * latency, its own storage calls go through beside a sustained flood, the
 * host's `/health` stays quick, and nobody is stopped. (Margins are generous:
 * this machine is shared; `bench/isolation.ts` has the precise figures.)
 */

import assert from "node:assert/strict";
import { type Arena, attackScript, HEALTHY, openArena } from "./arena.ts";

/** The host's storage budget in this test, calls per second (bursts of twice that). */
const STORAGE_PER_SECOND = 200;

const ATTACKS = attackScript(`
  if (ctx.args[0] === "big") {
    const big = "x".repeat(20 * 1024 * 1024);
    const sent = await Promise.allSettled(Array.from({ length: 32 }, () => kv("big").set("k", big)));
    return ctx.reply(sent.map((r) => r.status === "rejected" ? r.reason.message : "sent")[0]);
  }
  if (ctx.args[0] === "cyclic") {
    const value = {};
    value.self = value;
    return ctx.reply(await kv("s").set("k", value).then(() => "sent", (e) => e.message));
  }
  if (ctx.args[0] === "log") console.log("x".repeat(50 * 1024 * 1024));
  if (ctx.args[0] === "kv") {
    const store = kv("flood");
    await Promise.all(Array.from({ length: 50000 }, (_, i) => store.get("k" + i)));
  }
  await ctx.reply("attacked " + ctx.args[0]);
`);

/** The neighbour's `!ping` round trips, ms, one after another. */
async function pingTimes(arena: Arena, samples: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await arena.assertAnswers(arena.guilds[1]);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

/** Whatever happened to the attacker, the neighbour was never stopped for it. */
async function assertNotStopped(arena: Arena): Promise<void> {
  const lines = await arena.logs(arena.guilds[1]);
  assert.deepEqual(lines.filter((l) => /was stopped|suspended/.test(l)), []);
}

Deno.test({
  name: "a guild's huge log lines and call floods do not slow its same-process neighbour",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // Many replies in one channel: Discord's per-channel rate limit (emulated) and flora's
    // per-guild REST budget would make the handlers wait, which is not what is measured here.
    const arena: Arena = await openArena({
      // The arena's 1 s event budget would stop a healthy handler on a saturated machine.
      FLORA_EVENT_TIMEOUT_MS: "5000",
      FLORA_GUILD_REST_PER_SECOND: "50",
      FLORA_GUILD_STORAGE_PER_SECOND: String(STORAGE_PER_SECOND),
    });
    try {
      await arena.emu.setRateLimits({ enabled: false });
      const [attacker, neighbour] = arena.guilds;
      assert.equal(attacker.process, neighbour.process);
      assert.equal((await arena.deploy(neighbour, HEALTHY)).status, "active");
      assert.equal((await arena.deploy(attacker, ATTACKS)).status, "active");
      await pingTimes(arena, 2); // warm
      const quiet = await pingTimes(arena, 8);
      const allowed = 2 * quiet.at(-1)! + 1_500;
      await assertNotStopped(arena);

      await t.step("a 50 MB console.log is cut inside the worker", async () => {
        const mark = await arena.logMark(attacker);
        await arena.say(attacker, "!attack log");
        const during = await pingTimes(arena, 8);
        assert.ok(during.at(-1)! < allowed, `neighbour ${during} vs quiet ${quiet}`);
        const line = await arena.waitForLog(attacker, /^x{1000}/, 20_000, mark);
        assert.ok(line.length < 20_000, `a ${line.length}-character line reached the host`);
        await assertNotStopped(arena);
      });

      await t.step("50,000 concurrent kv.get wait in the worker, not in the host", async () => {
        await arena.say(attacker, "!attack kv");
        const health: number[] = [];
        const during: number[] = [];
        for (let i = 0; i < 8; i++) {
          const started = performance.now();
          const r = await fetch(`${arena.flora.apiUrl}/health`);
          await r.body?.cancel();
          health.push(performance.now() - started);
          during.push(...await pingTimes(arena, 1));
        }
        during.sort((a, b) => a - b);
        assert.ok(during.at(-1)! < allowed, `neighbour ${during} vs quiet ${quiet}`);
        assert.ok(Math.max(...health) < 1_000, `/health took ${health}`);
        await assertNotStopped(arena);
      });

      await t.step("32 calls of 20 MB each are refused before they leave the worker", async () => {
        const pinging = pingTimes(arena, 4);
        assert.match(
          await arena.ask(attacker, "!attack big"),
          /this call may carry at most 2097152/,
        );
        const during = await pinging;
        assert.ok(during.at(-1)! < allowed, `neighbour ${during} vs quiet ${quiet}`);
        await assertNotStopped(arena);
      });

      await t.step(
        "a call JSON cannot carry is refused in the worker, not in the shared relay",
        async () => {
          // It used to throw in the sandbox process's relay and end the process, every neighbour's
          // worker with it, blaming nobody.
          const pid = arena.flora.pool.pids()[attacker.process];
          assert.match(
            await arena.ask(attacker, "!attack cyclic"),
            /kv.set: its arguments cannot be sent/,
          );
          await arena.assertAnswers(neighbour);
          assert.equal(arena.flora.pool.pids()[attacker.process], pid);
          await assertNotStopped(arena);
        },
      );

      await t.step(
        "a sustained flood is paced per guild; the neighbour's storage goes through",
        async () => {
          const kvOps = () => arena.flora.metrics.usage.report(attacker.id).totals.kvOps;
          const before = kvOps();
          const started = performance.now();
          let attacking = true;
          const driver = (async () => {
            while (attacking) {
              await arena.say(attacker, "!attack kv");
              await new Promise((r) => setTimeout(r, 1_000));
            }
          })();
          try {
            while (performance.now() - started < 4_000) {
              assert.equal(await arena.ask(neighbour, "!store", 20_000), "stored");
              const during = await pingTimes(arena, 2);
              assert.ok(during.at(-1)! < allowed, `neighbour ${during} vs quiet ${quiet}`);
            }
          } finally {
            attacking = false;
            await driver;
          }
          const seconds = (performance.now() - started) / 1000;
          const served = kvOps() - before;
          assert.ok(served > 0, "the flood never reached the host");
          // Calls are counted as they reach the host: the bucket (twice the rate), the rate over
          // the span, and those running (8) or waiting (at most 128) at the end.
          const most = 2 * STORAGE_PER_SECOND + STORAGE_PER_SECOND * seconds + 8 + 128;
          assert.ok(
            served <= most,
            `${served} storage calls served in ${seconds} s (most ${most})`,
          );
          await assertNotStopped(arena);
        },
      );
    } finally {
      await arena.close();
    }
  },
});
