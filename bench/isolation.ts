/**
 * Isolation figures (issue 5), on this machine, with the real host, sandbox
 * processes and emulator:
 *
 * 1. time to stop an infinite loop (in a handler, and after a handler that
 *    reported done), against the event budget;
 * 2. recovery after a memory bomb aborts a sandbox process: from the moment
 *    the host sees the process exit (the abort itself is < 1 ms earlier) to
 *    the first answer of a healthy guild in the same process, to a message
 *    sent after the exit; and how long the bomb took to abort (attack sent →
 *    exit seen; 128 MiB heap here, the arena's). The CPU hog of figure 3 is
 *    stopped first and the emulator's Discord rate limits are off, so the
 *    figure is the restart, not a 5 s per-channel rate-limit wait;
 * 3. p50/p99 reply latency of a healthy guild beside a hostile guild in the
 *    same sandbox process that hogs a CPU, logs 50 MB lines, or keeps
 *    50,000 `kv.get` in flight, against its quiet baseline measured in
 *    alternating blocks of the same run, with the ratio (issue 15: the p99
 *    ratio should stay under 2), the CPU the attack cost the host and the
 *    shared sandbox process, and what the attacker really did;
 * 4. where a storage flood's CPU lands, thread by thread, with the host's
 *    storage budget and without (`flood_threads.ts`);
 * 5. what process per guild costs (`dedicated_cost.ts`).
 *
 * Run: `deno run --unstable-worker-options --unstable-kv --unstable-bundle -A
 * bench/isolation.ts [--samples 200] [--only loops,neighbour,bombs,threads,dedicated] [--neighbour-apart]`. Prints
 * JSON, with the machine's load average at start and end: figures taken at a
 * load above the number of cores are the scheduler's, not flora's.
 *
 * @module
 */

import {
  type Arena,
  type ArenaGuild,
  attackScript,
  HEALTHY,
  openArena,
} from "../tests/hostile/arena.ts";
import {
  type AttackComparison,
  compareUnderAttack,
  loadAverage,
  replyLatency,
  skipActions,
} from "./neighbour_latency.ts";
import { summarize } from "./stats.ts";
import { dedicatedCost } from "./dedicated_cost.ts";
import { floodThreads } from "./flood_threads.ts";
import { CONFIG_DEFAULTS } from "../runtime/config_schema.ts";

const samplesArg = Deno.args.indexOf("--samples");
const SAMPLES = samplesArg >= 0 ? Number(Deno.args[samplesArg + 1]) : 200;
const BUDGET_MS = 1_000;

/** Epoch ms of the first log line of `guild` after `after` lines that matches. */
async function logTime(arena: Arena, guild: ArenaGuild, pattern: RegExp, after: number) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const records = (await arena.flora.logs.recent(guild.id, 5_000)).slice(after);
    const hit = records.find((r) => pattern.test(r.message));
    if (hit) return Date.parse(hit.at);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no log line matched ${pattern}`);
}

/** Epoch ms of the bot's latest message in the guild's channel. */
async function lastReplyAt(arena: Arena, guild: ArenaGuild): Promise<number> {
  const actions = await arena.emu.actions();
  const last = actions.filter((a) =>
    a.route === "POST /channels/:id/messages" && a.channelId === guild.channelId
  ).at(-1);
  return last?.at ?? NaN;
}

async function stopTimes(arena: Arena, hostile: ArenaGuild, run: string, pattern: RegExp) {
  const overshoot: number[] = [];
  for (let i = 0; i < 5; i++) {
    await arena.deploy(hostile, attackScript(run));
    const mark = await arena.logMark(hostile);
    const sentAt = Date.now();
    await arena.say(hostile, "!attack");
    overshoot.push((await logTime(arena, hostile, pattern, mark)) - sentAt);
  }
  return summarize(overshoot);
}

/** What the neighbour bench's attacker does on `!attack <kind>` (each within its worker's bounds). */
const ATTACKS = attackScript(`
  if (ctx.args[0] === "burn") { const end = Date.now() + 200; while (Date.now() < end) {} }
  if (ctx.args[0] === "log") console.log("x".repeat(50 * 1024 * 1024));
  if (ctx.args[0] === "kv") {
    await Promise.all(Array.from({ length: 50000 }, (_, i) => kv("flood").get("k" + i)));
  }`);

const progress = (what: string) => console.error(`[isolation] ${what}`);

/** Figure 1: how long an infinite loop runs before it is stopped. */
async function loopFigures(arena: Arena, hostile: ArenaGuild) {
  progress("infinite loops");
  return {
    inHandler: await stopTimes(arena, hostile, "while (true) {}", /stopped \(timeout\)/),
    afterDone: await stopTimes(
      arena,
      hostile,
      `await ctx.reply("done"); setTimeout(() => { while (true) {} }, 0);`,
      /stopped \((unresponsive|timeout)\)/,
    ),
  };
}

/**
 * Figure 3: the neighbour's latency quiet and beside each attack, in
 * alternating blocks (`neighbour_latency.ts`). Discord's 5 per 5 s channel
 * limit would dominate the tail of the bot's replies: off, to measure flora.
 */
async function neighbourFigures(arena: Arena, [hostile, neighbour]: [ArenaGuild, ArenaGuild]) {
  await arena.emu.setRateLimits({ enabled: false });
  await arena.deploy(hostile, ATTACKS);
  for (let i = 0; i < 10; i++) await replyLatency(arena, neighbour, "!ping"); // warm-up
  // cpuHog: every message burns 200 ms of CPU (inside its budget), one every 100 ms, so its
  // thread is busy throughout. kvFlood outlives its handler's budget: its stop lands before the
  // next quiet block.
  const attacks = {
    cpuHog: { command: "!attack burn", everyMs: 100, settleMs: 300 },
    hugeLogLines: { command: "!attack log", everyMs: 200, settleMs: 300 },
    kvFlood: { command: "!attack kv", everyMs: 1_000, settleMs: BUDGET_MS + 500 },
  };
  const figures: Record<string, AttackComparison> = {};
  for (const [name, attack] of Object.entries(attacks)) {
    progress(`neighbour beside ${name}`);
    figures[name] = await compareUnderAttack(arena, [hostile, neighbour], attack, SAMPLES);
  }
  return figures;
}

/**
 * Figure 2: a memory bomb aborts the process; how long until a guild of the
 * same process answers again. Needs a budget long enough for V8 to reach its
 * heap limit (the backstop).
 */
async function bombFigures() {
  const bombArena = await openArena({
    FLORA_EVENT_TIMEOUT_MS: "60000",
    FLORA_GUILD_HEAP_MB: "4096",
    FLORA_CRASH_LOOP_FAILURES: "1000",
  });
  try {
    const [bomber, bystander] = bombArena.guilds;
    // Two messages per round in the bystander's channel would run into Discord's 5 per 5 s.
    await bombArena.emu.setRateLimits({ enabled: false });
    await bombArena.deploy(bystander, HEALTHY);
    progress("memory bombs");
    const recoveries: number[] = [];
    const bombToAbort: number[] = [];
    const bombs = Math.max(3, Math.min(SAMPLES, 30));
    for (let attempt = 0; recoveries.length < bombs && attempt < bombs + 5; attempt++) {
      await bombArena.deploy(
        bomber,
        attackScript(
          `const hoard = []; while (true) hoard.push(new Array(1000000).fill(${attempt}));`,
        ),
      );
      await bombArena.assertAnswers(bystander);
      const pid = bombArena.flora.pool.pids()[bystander.process];
      await skipActions(bombArena);
      const attackAt = Date.now();
      await bombArena.say(bomber, "!attack");
      const deadline = Date.now() + 30_000;
      while (bombArena.flora.pool.pids()[bystander.process] === pid && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 2));
      }
      const aborted = bombArena.flora.pool.pids()[bystander.process] !== pid;
      progress(`bomb ${attempt}: ${aborted ? "abort" : "no abort"}`);
      if (!aborted) continue; // stopped before the abort
      const crashedAt = Date.now();
      bombToAbort.push(crashedAt - attackAt);
      await replyLatency(bombArena, bystander, "!ping");
      recoveries.push((await lastReplyAt(bombArena, bystander)) - crashedAt);
      // Crashes are rare: let the pool start its next standby before the next bomb.
      await new Promise((r) => setTimeout(r, 500));
    }
    return { recoveryMs: summarize(recoveries), toAbortMs: summarize(bombToAbort) };
  } finally {
    await bombArena.close();
  }
}

const onlyArg = Deno.args.indexOf("--only");
const only = onlyArg >= 0 ? Deno.args[onlyArg + 1].split(",") : null;
const runs = (part: string) => only === null || only.includes(part);

// With --neighbour-apart the neighbour is a dedicated guild (FLORA_DEDICATED_GUILDS): the same
// attacks, with no address space shared.
const neighbourApart = Deno.args.includes("--neighbour-apart");
const arena = await openArena({
  FLORA_EVENT_TIMEOUT_MS: String(BUDGET_MS),
  FLORA_CRASH_LOOP_FAILURES: "1000",
  FLORA_GUILD_LOG_LINES: "100000",
  // Replies one after another would otherwise measure the per-guild budget of 5 Discord calls/s.
  FLORA_GUILD_REST_PER_SECOND: "50",
}, { dedicated: neighbourApart ? [1] : [] });
const figures: Record<string, unknown> = {
  cpus: navigator.hardwareConcurrency,
  eventBudgetMs: BUDGET_MS,
  loadAverageAtStart: loadAverage(),
  neighbourApart,
};
try {
  const [hostile, neighbour] = arena.guilds;
  await arena.deploy(neighbour, HEALTHY);
  await arena.deploy(hostile, HEALTHY);
  if (runs("loops")) figures.stopInfiniteLoopMs = await loopFigures(arena, hostile);
  if (runs("neighbour")) {
    figures.neighbourReplyMs = await neighbourFigures(arena, [hostile, neighbour]);
  }
} finally {
  await arena.close();
}
if (runs("bombs")) figures.memoryBomb = await bombFigures();
if (runs("threads")) {
  progress("a storage flood's CPU, thread by thread");
  figures.storageFlood = {
    withBudget: await floodThreads(CONFIG_DEFAULTS.guildStoragePerSecond),
    withoutBudget: await floodThreads(1_000_000),
  };
}
if (runs("dedicated")) {
  progress("process per guild");
  figures.processPerGuild = await dedicatedCost(5);
}
figures.loadAverageAtEnd = loadAverage();
console.log(JSON.stringify(figures, null, 2));
