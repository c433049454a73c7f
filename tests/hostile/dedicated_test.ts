/**
 * Process per guild (`FLORA_DEDICATED_GUILDS`): a dedicated guild's worker
 * lives in a sandbox process of its own, never beside the guild it would
 * share a process with by hash, so an attacker that aborts its own process
 * (a memory bomb) leaves the dedicated guild's process, worker and answers
 * untouched; and two dedicated guilds get two processes.
 */

import assert from "node:assert/strict";
import { type Arena, attackScript, HEALTHY, openArena } from "./arena.ts";

/** Fills its heap until V8 aborts the whole sandbox process. */
const BOMB = attackScript(`const hoard = []; while (true) hoard.push(new Array(1e6).fill(1));`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a process with this id is running (Linux: /proc). */
async function alive(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "dedicated guilds run in processes of their own; a neighbour's crash does not reach them",
  ignore: Deno.build.os !== "linux", // reads /proc
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // guilds[0] and guilds[1] hash to shared process 0, guilds[2] to process 1: the last two
    // are dedicated. The bomb needs a budget long enough for V8 to reach its heap limit.
    const arena: Arena = await openArena(
      { FLORA_EVENT_TIMEOUT_MS: "30000", FLORA_GUILD_HEAP_MB: "4096" },
      { captureOutput: true, dedicated: [1, 2] },
    );
    try {
      const [attacker, dedicated, otherDedicated] = arena.guilds;
      assert.equal(attacker.process, dedicated.process); // would share a process by hash
      assert.equal((await arena.deploy(attacker, BOMB)).status, "active");
      assert.equal((await arena.deploy(dedicated, HEALTHY)).status, "active");
      assert.equal((await arena.deploy(otherDedicated, HEALTHY)).status, "active");
      await arena.assertAnswers(dedicated);
      await arena.assertAnswers(otherDedicated);

      const shared = arena.flora.pool.pids();
      const own = arena.flora.pool.dedicatedPids();

      await arena.output.step(t, "each dedicated guild has a live process of its own", async () => {
        assert.deepEqual([...own.keys()].sort(), [dedicated.id, otherDedicated.id].sort());
        const pids = [...own.values()];
        for (const pid of pids) {
          assert.ok(pid !== undefined && await alive(pid), `dedicated pid ${pid} is not running`);
          assert.ok(!shared.includes(pid), `dedicated pid ${pid} is a shared process`);
        }
        assert.notEqual(pids[0], pids[1]);
        assert.equal(arena.flora.pool.isolatedPids().size, 0);
      });

      await arena.output.step(t, "the attacker's abort takes only the shared process", async () => {
        const mark = await arena.logMark(dedicated);
        await arena.say(attacker, "!attack");
        const deadline = Date.now() + 30_000;
        while (arena.flora.pool.pids()[attacker.process] === shared[attacker.process]) {
          if (Date.now() > deadline) throw new Error("the bomb did not abort its process");
          await sleep(20);
        }
        // Answered from the same process, which never noticed.
        await arena.assertAnswers(dedicated);
        await arena.assertAnswers(otherDedicated);
        assert.deepEqual(arena.flora.pool.dedicatedPids(), own);
        const lines = (await arena.logs(dedicated)).slice(mark);
        assert.deepEqual(lines.filter((l) => /stopped|sandbox process|restart/.test(l)), []);
        // The attacker lost its worker with its process.
        await arena.waitForLog(attacker, /stopped \((abort|process)\)/, 20_000);
      });
    } finally {
      await arena.close();
    }
  },
});
