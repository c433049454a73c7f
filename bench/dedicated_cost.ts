/**
 * What process per guild (`FLORA_DEDICATED_GUILDS`) costs, against a guild
 * in a shared sandbox process, in one run: resident memory (the dedicated
 * process's RSS with its one worker loaded, against what one more worker
 * adds to a shared process), the first deploy (which starts the dedicated
 * process), and recovery after the process is killed (a dedicated process
 * restarts afresh; a shared one swaps in its warm standby).
 *
 * @module
 */

import { HEALTHY, openArena } from "../tests/hostile/arena.ts";
import { replyLatency, skipActions } from "./neighbour_latency.ts";
import { mib, rssOf, sleep, summarize } from "./stats.ts";

/** Ms until `check` holds (polled every 5 ms); throws after 30 s. */
async function timeUntil(check: () => boolean | Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > 30_000) throw new Error("timed out");
    await sleep(5);
  }
  return performance.now() - started;
}

/** Measures the costs; `kills` process deaths per kind. */
export async function dedicatedCost(kills: number) {
  // guilds[1] is dedicated; guilds[0] shares process 0 with nobody else loaded.
  const arena = await openArena({ FLORA_CRASH_LOOP_FAILURES: "1000" }, { dedicated: [1] });
  try {
    await arena.emu.setRateLimits({ enabled: false });
    const [shared, dedicated] = arena.guilds;
    const pool = arena.flora.pool;
    await sleep(1_000); // the shared processes' spare workers settle
    const sharedBefore = rssOf(pool.pids()[shared.process]!);
    let started = performance.now();
    await arena.deploy(shared, HEALTHY);
    const sharedDeployMs = performance.now() - started;
    started = performance.now();
    await arena.deploy(dedicated, HEALTHY);
    const dedicatedDeployMs = performance.now() - started;
    await arena.assertAnswers(shared);
    await arena.assertAnswers(dedicated);
    await sleep(1_000); // spare workers refilled
    const sharedAfter = rssOf(pool.pids()[shared.process]!);
    const dedicatedRss = rssOf(pool.dedicatedPids().get(dedicated.id)!);

    /** Kill the guild's process; ms until a ping sent right after is answered. */
    const recovery = async (pidOf: () => number | undefined, guild: typeof shared) => {
      const times: number[] = [];
      for (let i = 0; i < kills; i++) {
        const pid = pidOf()!;
        Deno.kill(pid, "SIGKILL");
        await timeUntil(() => pidOf() !== undefined && pidOf() !== pid);
        await skipActions(arena);
        times.push(await replyLatency(arena, guild, "!ping"));
        // A death in a dedicated process is its guild's own (restart back-off, crash loop):
        // a redeploy starts afresh, for both kinds alike.
        await arena.deploy(guild, HEALTHY);
        await sleep(1_500); // the next standby starts
      }
      return summarize(times);
    };
    return {
      rssMiB: {
        dedicatedProcessWithOneWorker: mib(dedicatedRss),
        oneMoreWorkerInASharedProcess: mib(sharedAfter - sharedBefore),
      },
      firstDeployMs: {
        shared: Math.round(sharedDeployMs),
        dedicated: Math.round(dedicatedDeployMs),
      },
      killToAnswerMs: {
        shared: await recovery(() => pool.pids()[shared.process], shared),
        dedicated: await recovery(() => pool.dedicatedPids().get(dedicated.id), dedicated),
      },
    };
  } finally {
    await arena.close();
  }
}
