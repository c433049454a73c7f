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
 * 3. p50/p99 reply latency of a healthy guild alone (the quiet baseline),
 *    and with a hostile guild in the same sandbox process that hogs a CPU,
 *    logs 50 MB lines, or keeps 50,000 `kv.get` in flight (issue 15: each
 *    should stay under twice the baseline).
 *
 * Run: `deno run -A bench/isolation.ts [--samples 200]`. Prints JSON.
 *
 * @module
 */

import type { BotAction } from "../emulator/mod.ts";
import {
  type Arena,
  type ArenaGuild,
  attackScript,
  HEALTHY,
  openArena,
} from "../tests/hostile/arena.ts";
import { round, summarize } from "./stats.ts";

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

/** The first bot message in the guild's channel after action `since` (short polls). */
async function nextReply(arena: Arena, guild: ArenaGuild, since: number): Promise<BotAction> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const batch = await arena.emu.actions({ since, waitMs: 50 });
    const reply = batch.find((a) =>
      a.route === "POST /channels/:id/messages" && a.channelId === guild.channelId
    );
    if (reply) return reply;
  }
  throw new Error(`no reply in guild ${guild.id}`);
}

/** The emulator's last action seq this bench has seen (so polls never re-read the whole log). */
let cursor = 0;

/** Sends `content` and resolves with the ms until the bot's reply reached the emulator. */
async function replyLatency(arena: Arena, guild: ArenaGuild, content: string): Promise<number> {
  const sentAt = Date.now();
  await arena.say(guild, content);
  const reply = await nextReply(arena, guild, cursor);
  cursor = reply.seq;
  return reply.at - sentAt;
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

/**
 * The neighbour's reply latency while `hostile` is sent `command` every
 * `everyMs` (the attack runs throughout the measurement).
 */
async function latenciesUnderAttack(
  arena: Arena,
  [hostile, neighbour]: [ArenaGuild, ArenaGuild],
  command: string,
  everyMs: number,
): Promise<ReturnType<typeof summarize> & { lost: number; processReplaced: boolean }> {
  const pidBefore = arena.flora.pool.pids()[neighbour.process];
  let attacking = true;
  const driver = (async () => {
    while (attacking) {
      await arena.say(hostile, command);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  await new Promise((r) => setTimeout(r, 500));
  // A ping lost with a sandbox process that died (a started event is not delivered again) is
  // counted, not waited for.
  const times: number[] = [];
  let lost = 0;
  cursor = (await arena.emu.actions()).at(-1)?.seq ?? 0;
  for (let i = 0; i < SAMPLES; i++) {
    try {
      times.push(await replyLatency(arena, neighbour, "!ping"));
    } catch {
      lost++;
      cursor = (await arena.emu.actions()).at(-1)?.seq ?? 0;
    }
  }
  attacking = false;
  await driver;
  const measured = summarize(times);
  const processReplaced = arena.flora.pool.pids()[neighbour.process] !== pidBefore;
  return {
    ...measured,
    p50: round(measured.p50, 1),
    p99: round(measured.p99, 1),
    lost,
    processReplaced,
  };
}

async function latencies(arena: Arena, guild: ArenaGuild, n = SAMPLES): Promise<number[]> {
  cursor = (await arena.emu.actions()).at(-1)?.seq ?? 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await replyLatency(arena, guild, "!ping"));
  return out;
}

const arena = await openArena({
  FLORA_EVENT_TIMEOUT_MS: String(BUDGET_MS),
  FLORA_CRASH_LOOP_FAILURES: "1000",
  FLORA_GUILD_LOG_LINES: "100000",
  // Replies one after another would otherwise measure the per-guild budget of 5 Discord calls/s.
  FLORA_GUILD_REST_PER_SECOND: "50",
});
try {
  const [hostile, neighbour] = arena.guilds;
  await arena.deploy(neighbour, HEALTHY);
  await arena.deploy(hostile, HEALTHY);

  const progress = (what: string) => console.error(`[isolation] ${what}`);
  progress("infinite loops");
  const loopInHandler = await stopTimes(arena, hostile, "while (true) {}", /stopped \(timeout\)/);
  const loopAfterDone = await stopTimes(
    arena,
    hostile,
    `await ctx.reply("done"); setTimeout(() => { while (true) {} }, 0);`,
    /stopped \((unresponsive|timeout)\)/,
  );

  // Reply latency of the neighbour, alone and beside a guild that burns CPU. Discord's 5 per 5 s
  // channel limit would dominate the tail of the bot's replies: off, to measure flora.
  await arena.emu.setRateLimits({ enabled: false });
  progress("latency alone");
  await arena.deploy(hostile, HEALTHY);
  await latencies(arena, neighbour, 10); // warm-up
  const alone = summarize(await latencies(arena, neighbour));
  // A noisy neighbour: every message burns 200 ms of CPU (inside its budget), and it gets one
  // every 100 ms, so its worker's thread is busy throughout the measurement.
  await arena.deploy(
    hostile,
    `on("messageCreate", () => { const end = Date.now() + 200; while (Date.now() < end) {} });`,
  );
  progress("latency beside a CPU hog");
  const beside = await latenciesUnderAttack(arena, [hostile, neighbour], "burn", 100);
  // Each attack runs inside the worker's bounds (sdk/worker_bounds.ts); the neighbour's answer
  // time is what they protect.
  await arena.deploy(
    hostile,
    attackScript(`
      if (ctx.args[0] === "log") console.log("x".repeat(50 * 1024 * 1024));
      if (ctx.args[0] === "kv") {
        await Promise.all(Array.from({ length: 50000 }, (_, i) => kv("flood").get("k" + i)));
      }`),
  );
  progress("latency beside 50 MB log lines");
  const besideHugeLog = await latenciesUnderAttack(arena, [hostile, neighbour], "!attack log", 200);
  progress("latency beside 50,000 kv.get in flight");
  const besideKvFlood = await latenciesUnderAttack(
    arena,
    [hostile, neighbour],
    "!attack kv",
    1_000,
  );

  await arena.deploy(hostile, HEALTHY);
  // Memory bombs need a budget long enough for V8 to reach its heap limit (the backstop).
  const bombArena = await openArena({
    FLORA_EVENT_TIMEOUT_MS: "60000",
    FLORA_GUILD_HEAP_MB: "4096",
    FLORA_CRASH_LOOP_FAILURES: "1000",
  });
  const [bomber, bystander] = bombArena.guilds;
  cursor = 0; // a new emulator counts from the start
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
    cursor = (await bombArena.emu.actions()).at(-1)?.seq ?? 0;
    const attackAt = Date.now();
    await bombArena.say(bomber, "!attack");
    const deadline = Date.now() + 30_000;
    while (bombArena.flora.pool.pids()[bystander.process] === pid && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2));
    }
    progress(
      `bomb ${attempt}: ${
        bombArena.flora.pool.pids()[bystander.process] === pid ? "no abort" : "abort"
      }`,
    );
    if (bombArena.flora.pool.pids()[bystander.process] === pid) continue; // stopped before the abort
    const crashedAt = Date.now();
    bombToAbort.push(crashedAt - attackAt);
    await replyLatency(bombArena, bystander, "!ping");
    recoveries.push((await lastReplyAt(bombArena, bystander)) - crashedAt);
    // Crashes are rare: let the pool start its next standby before the next bomb.
    await new Promise((r) => setTimeout(r, 500));
  }

  // Reply latency of the bystander: bomber idle, then hogging CPU in the same process.
  await bombArena.close();

  console.log(JSON.stringify(
    {
      cpus: navigator.hardwareConcurrency,
      eventBudgetMs: BUDGET_MS,
      stopInfiniteLoopMs: { inHandler: loopInHandler, afterDone: loopAfterDone },
      memoryBombRecoveryMs: summarize(recoveries),
      memoryBombToAbortMs: summarize(bombToAbort),
      replyLatencyMs: {
        alone: { ...alone, p50: round(alone.p50, 1), p99: round(alone.p99, 1) },
        besideCpuHog: beside,
        beside50MbLogLines: besideHugeLog,
        beside50kKvGets: besideKvFlood,
      },
    },
    null,
    2,
  ));
} finally {
  await arena.close();
}
