/**
 * flora itself, in this process, against the emulator process: guilds are
 * registered the way a host restart restores them (a deployment each, no
 * worker until the guild's first event), then events are spread across
 * them through the emulator's gateway.
 *
 * @module
 */

import { loadConfig } from "../runtime/config.ts";
import { type Flora, startFlora, type StartOptions } from "../runtime/flora.ts";
import type { Deployment } from "../storage/types.ts";
import type { EmulatorProcess } from "./emulator_process.ts";
import {
  cpuSecondsOfAll,
  cpuSplit,
  deadline,
  rssOf,
  sleep,
  summarize,
  type Summary,
} from "./stats.ts";
import { type BenchGuild, inject, replyLatencies, spread } from "../emulator/bench_world.ts";

/** The script every benchmark guild runs: a no-op for messages, `!ping` answers. */
export const BENCH_SCRIPT = `
on("messageCreate", () => {});
createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong") })] });
`;

let nextId = 1;
function deploymentFor(guildId: string): Deployment {
  const now = new Date().toISOString();
  return {
    id: `bench-${nextId++}`,
    guildId,
    revision: 1,
    status: "active",
    createdBy: "bench",
    createdAt: now,
    updatedAt: now,
    bundle: { entry: "bench.js", code: BENCH_SCRIPT },
  };
}

/** Sandbox processes a bench's flora runs unless its `env` says otherwise. */
const BENCH_PROCESSES = 2;
/** Room a bench gives each resident worker in its process's memory limits, MiB (≈ 9.2 measured). */
const MIB_PER_WORKER = 16;

/**
 * The sandbox processes' memory guard and RSS recycling ceiling for `maxResident` workers over
 * `processes`: the defaults (2 GiB, 1.5 GiB) would stop or recycle a process of 500 workers
 * (≈ 9.2 MiB each) again and again in the middle of a run. The ceiling stays below the guard,
 * so a process past it is recycled between events, not killed with events in flight; 1,000
 * workers in one process (≈ 9.2 GiB) were killed at a fixed 8 GiB guard.
 */
function memoryLimits(maxResident: number, processes: number): Record<string, string> {
  const ceilingMb = Math.max(8192, Math.ceil(maxResident / processes) * MIB_PER_WORKER);
  return {
    FLORA_SANDBOX_MEMORY_MB: String(ceilingMb + 1024),
    FLORA_SANDBOX_RSS_CEILING_MB: String(ceilingMb),
  };
}

/** A flora started for the benchmark, with its data dir. */
export interface BenchFlora {
  flora: Flora;
  /** Dispatch latency samples (ms) while `recording`. */
  dispatchMs: number[];
  /** When the host heard of each handler's start (`performance.now()`) while `recording`. */
  heardAt: number[];
  coldStartMs: number[];
  /** Events whose handler finished. */
  handled(): number;
  /** Events handled or dropped (past a guild's backlog). */
  settled(): number;
  recording: boolean;
  /** Resolved once `settled()` reaches their count. */
  waiters: { count: number; resolve: () => void }[];
  close(): Promise<void>;
}

/** Starts flora against the emulator process. */
export async function startBenchFlora(
  emu: EmulatorProcess,
  maxResident: number,
  env: Record<string, string> = {},
  start: Pick<StartOptions, "sandboxCpuProfile"> = {},
): Promise<BenchFlora> {
  const dataDir = await Deno.makeTempDir({ prefix: "flora-bench-" });
  const config = loadConfig({
    FLORA_DATA_DIR: dataDir,
    FLORA_API_PORT: "0",
    FLORA_EMULATOR_PORT: "0",
    FLORA_OPERATOR_TOKEN: "bench-operator-token-000000",
    FLORA_SANDBOX_PROCESSES: String(BENCH_PROCESSES),
    FLORA_MAX_RESIDENT_WORKERS: String(maxResident),
    FLORA_SANDBOX_HEAP_MB: "4096",
    ...memoryLimits(maxResident, Number(env.FLORA_SANDBOX_PROCESSES ?? BENCH_PROCESSES)),
    // The reply runs send ≈ 33 messages/s to one guild in the 1-guild scenario: past the default
    // per-guild budget of 5 Discord calls/s, which would measure the budget, not flora.
    FLORA_GUILD_REST_PER_SECOND: "50",
    // V8 flags under test for the sandbox processes, from the bench's own environment
    // (`FLORA_SANDBOX_V8_FLAGS=... deno task bench`), for A/B runs of any bench.
    ...(Deno.env.get("FLORA_SANDBOX_V8_FLAGS")
      ? { FLORA_SANDBOX_V8_FLAGS: Deno.env.get("FLORA_SANDBOX_V8_FLAGS") }
      : {}),
    ...env,
  });
  const flora = await startFlora(config, {
    ...start,
    discord: { token: emu.token, restBase: emu.restBase },
    onNotice: (level, message) => {
      if (level === "error") console.error(`[flora] ${message}`);
    },
  });
  let handled = 0;
  let dropped = 0;
  const bench: BenchFlora = {
    flora,
    dispatchMs: [],
    heardAt: [],
    coldStartMs: [],
    recording: false,
    waiters: [],
    handled: () => handled,
    settled: () => handled + dropped,
    async close() {
      await flora.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
  const wake = () => {
    // Called for every event: the waiters are filtered (an array each time) only once one is due.
    const settled = handled + dropped;
    let due = false;
    for (const w of bench.waiters) due ||= settled >= w.count;
    if (!due) return;
    bench.waiters = bench.waiters.filter((w) => settled < w.count || (w.resolve(), false));
  };
  flora.metrics.dispatchLatency.onObserve = (s) => {
    handled++;
    if (bench.recording) {
      bench.dispatchMs.push(s * 1000);
      bench.heardAt.push(performance.now());
    }
    wake();
  };
  // Waiting on a callback rather than polling a timer keeps the bench's own CPU out of the host's.
  const drops = flora.metrics.eventsDropped;
  const countDrop = drops.inc.bind(drops);
  drops.inc = (label, n = 1) => {
    countDrop(label, n);
    dropped += n;
    wake();
  };
  flora.metrics.coldStartLatency.onObserve = (s) => bench.coldStartMs.push(s * 1000);
  return bench;
}

/** Registers a deployment for each guild id (as a restart restores them). */
export function register(bench: BenchFlora, guildIds: string[]): void {
  for (const id of guildIds) bench.flora.sandboxes.register(deploymentFor(id));
}

/** Starts every guild's worker with one event each; `sequential` first ones one at a time. */
export async function warm(
  bench: BenchFlora,
  emu: EmulatorProcess,
  guilds: BenchGuild[],
  sequential = 0,
): Promise<void> {
  const { metrics } = bench.flora;
  const droppedBefore = metrics.eventsDropped.total();
  const crashesBefore = metrics.crashes.total();
  for (let i = 0; i < Math.min(sequential, guilds.length); i++) {
    const before = bench.settled();
    await inject(emu.url, spread([guilds[i]], 1, "warm"));
    await untilSettled(bench, before + 1, 120_000);
  }
  const rest = guilds.slice(sequential);
  const before = bench.settled();
  await inject(emu.url, spread(rest, rest.length, "warm"));
  // Settled, not handled: an event flora counted dropped never gets handled, and waiting for
  // it would hang the bench with the machine idle.
  await untilSettled(bench, before + rest.length, 1_200_000);
  const dropped = metrics.eventsDropped.total() - droppedBefore;
  if (dropped === 0) return;
  // Workers lost in the warm-up leave the rounds measuring cold starts: no figures from it.
  throw new Error(
    `the warm-up lost ${dropped} of ${guilds.length} events (counted dropped) and ` +
      `${metrics.crashes.total() - crashesBefore} workers (crashes metric); ` +
      `${bench.flora.sandboxes.residentGuilds().length} are resident: a sandbox process died, ` +
      "most likely past its memory guard (FLORA_SANDBOX_MEMORY_MB, see the flora notices above)",
  );
}

/** One flora scenario's figures. */
export interface FloraScenarioResult {
  guilds: number;
  /** A second round over the same guilds (their isolates past their first runs). */
  again?: boolean;
  events: number;
  /** Events whose handler ran, per second (dropped ones excluded). */
  eventsPerSec: number;
  dropped: number;
  /** Under the throughput run (includes queueing), ms. */
  dispatchLoadedMs: Summary;
  /** One event at a time (the reply run), ms. */
  dispatchMs: Summary;
  replyMs: Summary;
  resident: number;
  /** Worker crashes / watchdog stops / cold starts so far in this flora (explains outliers). */
  crashes: number;
  timeouts: number;
  coldStarts: number;
  /** CPU per event during the throughput run, µs: emulator, host (with the bench's injection), sandboxes. */
  cpuUsPerEvent: Record<string, number>;
}

/** Throughput, dispatch and reply latency across `guilds` (already warm). */
export async function measure(
  bench: BenchFlora,
  emu: EmulatorProcess,
  guilds: BenchGuild[],
  events: number,
  replies: number,
): Promise<FloraScenarioResult> {
  const { metrics, sandboxes } = bench.flora;
  const droppedBefore = metrics.eventsDropped.total();
  const settledBefore = bench.settled();
  bench.dispatchMs = [];
  bench.heardAt = [];
  bench.recording = true;
  const cpu = cpuSplit({
    emulator: [emu.pid],
    host: [Deno.pid],
    sandboxes: sandboxPids(bench),
  });
  const start = performance.now();
  await inject(emu.url, spread(guilds, events, "hello"));
  await untilSettled(bench, settledBefore + events, 300_000);
  const dropped = metrics.eventsDropped.total() - droppedBefore;
  // Handled events only: a dropped one cost flora almost nothing and ran no handler.
  const eventsPerSec = Math.round((events - dropped) / ((performance.now() - start) / 1000));
  const cpuUsPerEvent = cpu.perEventUs(events - dropped);
  const dispatchLoadedMs = summarize(bench.dispatchMs);
  await sleep(200);
  bench.dispatchMs = [];
  bench.heardAt = [];
  const latencies = await replyLatencies(emu.url, spread(guilds, replies, "!ping"));
  bench.recording = false;
  return {
    guilds: guilds.length,
    events,
    eventsPerSec,
    dropped,
    dispatchLoadedMs,
    dispatchMs: summarize(bench.dispatchMs),
    replyMs: summarize(latencies),
    resident: sandboxes.residentGuilds().length,
    crashes: metrics.crashes.total(),
    timeouts: metrics.timeouts.total(),
    coldStarts: metrics.coldStarts.total(),
    cpuUsPerEvent,
  };
}

/** A MESSAGE_CREATE payload for a bench guild, as the gateway would carry it. */
export function benchMessage(g: BenchGuild, n: number, content = "hello") {
  return {
    id: String(800000000000000000n + BigInt(n)),
    channel_id: g.channels[0],
    guild_id: g.id,
    author: { id: g.userId, username: "bench" },
    content,
  };
}

/**
 * Dispatch latency (event into the router's sink → handler start) one event
 * at a time, round-robin over `guilds` (already warm): each event is sent
 * when the previous handler has finished, `gapMs` later. Like the raw echo's
 * round trips, so the two compare like for like.
 */
export async function sequentialDispatch(
  bench: BenchFlora,
  guilds: BenchGuild[],
  n: number,
  gapMs = 0,
): Promise<Summary> {
  bench.dispatchMs = [];
  bench.heardAt = [];
  bench.recording = true;
  for (let i = 0; i < n; i++) {
    const g = guilds[i % guilds.length];
    const before = bench.settled();
    bench.flora.sandboxes.deliver(g.id, "messageCreate", benchMessage(g, i));
    // Polling with a zero timer would keep this thread busy and the measure hot; a
    // resolved wait on each observation does not.
    await untilSettled(bench, before + 1);
    if (gapMs > 0) await sleep(gapMs);
  }
  bench.recording = false;
  return summarize(bench.dispatchMs);
}

/** Resolves once `settled()` reaches `count`; rejects after `timeoutMs`. */
export function untilSettled(bench: BenchFlora, count: number, timeoutMs = 600_000): Promise<void> {
  if (bench.settled() >= count) return Promise.resolve();
  const reached = new Promise<void>((resolve) => bench.waiters.push({ count, resolve }));
  return deadline(reached, timeoutMs, `${count} events`);
}

/**
 * CPU the sandbox processes use while every worker is idle (watchdog pings
 * and timers), as a percentage of one core, sampled over `ms`.
 */
export async function sandboxIdleCpu(bench: BenchFlora, ms = 2_000): Promise<number> {
  const pids = sandboxPids(bench);
  const before = cpuSecondsOfAll(pids);
  await sleep(ms);
  const after = cpuSecondsOfAll(pids);
  return Math.round(((after - before) / (ms / 1000)) * 1000) / 10;
}

/** Resident memory of the sandbox processes, bytes. */
export function sandboxRss(bench: BenchFlora): number {
  return sandboxPids(bench).reduce((sum, pid) => sum + rssOf(pid), 0);
}

/** The running sandbox processes' ids. */
export function sandboxPids(bench: BenchFlora): number[] {
  return bench.flora.pool.pids().filter((p): p is number => p !== undefined);
}
