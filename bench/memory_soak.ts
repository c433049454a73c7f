/**
 * `deno task bench:soak`: do the sandbox processes' memory level off under a
 * long load, and is it returned when idle? Sends rounds of `!ping` messages
 * (each answered) to a few guilds through the emulator (its own process),
 * and prints each sandbox process's RSS (read from /proc), where it lives
 * (`smaps_memory.ts`: V8-and-mmap anonymous memory, the malloc heap, files)
 * and the heaps its heartbeat reports (its own isolate's and its workers')
 * after each round and after an idle pause. Then the verdict, computed: the
 * slope of each process's RSS envelope over the last rounds (the peaks of
 * `--windows=` runs of them, default 3, so a process recycled at its
 * ceiling reads as flat whatever phase the run ends on; MiB per 1,000
 * messages) against `--max-slope=` (default 0.3); the RSS levels off when
 * every process's slope is under it. It also checks that every message
 * was answered exactly once (none lost, none twice): a round ends when every
 * `!ping` of it has been answered (the script's Discord calls, counted by the
 * host), not when the bot's own replies come back through the gateway.
 *
 * Flags: `--rounds=N` (default 100), `--per-round=N` (default 1,000),
 * `--tail=N` rounds in the slope (default half), `--reducer` (V8's memory
 * reducer on), `--semi-space=MB` (`FLORA_SANDBOX_SEMI_SPACE_MB`), and
 * `--env=NAME=VALUE` (repeatable) for any other flora setting, e.g.
 * `--env=FLORA_SANDBOX_RSS_CEILING_MB=0` to turn recycling off.
 * CPU-heavy: not part of `deno task bench` nor of CI.
 *
 * @module
 */

import { startEmulatorProcess } from "./emulator_process.ts";
import type { ProcessMemory } from "../runtime/sandbox/protocol/mod.ts";
import { type BenchFlora, register, startBenchFlora, warm } from "./flora_bench.ts";
import { smapsMemory } from "./smaps_memory.ts";
import { mib, rssOf, sleep, until } from "./stats.ts";
import { createGuilds, inject, spread } from "../emulator/bench_world.ts";
import { envelopeSlope, leastSquaresSlope } from "./slope.ts";

function flag(name: string, fallback: number): number {
  const raw = Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  return raw === undefined ? fallback : Number(raw);
}

// The default run's processes reach their plateau after ≈ 50,000 messages (docs/operations.md).
const rounds = flag("rounds", 100);
const perRound = flag("per-round", 1_000);
const reducer = Deno.args.includes("--reducer");
const semiSpace = flag("semi-space", 0);
const tail = Math.max(2, flag("tail", Math.ceil(rounds / 2)));
const maxSlope = flag("max-slope", 0.3);
const windows = flag("windows", 3);
const extraEnv = Object.fromEntries(
  Deno.args.filter((a) => a.startsWith("--env=")).map((a) => {
    const [name, ...value] = a.slice("--env=".length).split("=");
    return [name, value.join("=")];
  }),
);
const GUILDS = 50;

/** One sandbox process's figures, MiB. */
interface ProcessRow {
  rssMiB: number;
  /** Other anonymous memory (V8's pages, thread stacks, large mmap'd blocks). */
  anonMiB: number;
  /** glibc malloc: its main arena (`[heap]`) and its thread arenas. */
  mallocMiB: number;
  /** Its own isolate's heap in use / kept by V8, and its workers' (heartbeat). */
  relayHeapMiB: number;
  relayKeptMiB: number;
  workersKeptMiB: number;
}

interface Row {
  messages: number;
  processes: ProcessRow[];
  recycles: number;
}

/** Each sandbox process's figures now (RSS from /proc; heaps from its latest heartbeat). */
function sample(bench: BenchFlora, messages: number): Row {
  const memory = bench.flora.pool.memory();
  const processes = bench.flora.pool.pids().map((pid, i): ProcessRow => {
    const m: ProcessMemory | null = memory[i];
    const smaps = pid === undefined ? null : smapsMemory(pid);
    return {
      rssMiB: pid === undefined ? NaN : mib(rssOf(pid)),
      anonMiB: mib(smaps?.anonOther ?? NaN),
      mallocMiB: mib(smaps ? smaps.brkHeap + smaps.mallocArenas : NaN),
      relayHeapMiB: mib(m?.heapUsed ?? NaN),
      relayKeptMiB: mib(m?.heapTotal ?? NaN),
      workersKeptMiB: mib(m?.workersHeapTotal ?? NaN),
    };
  });
  return { messages, processes, recycles: bench.flora.metrics.processRecycles.total() };
}

const describe = (r: Row) =>
  r.processes.map((p, i) =>
    `#${i} RSS ${p.rssMiB} (anon ${p.anonMiB}, malloc ${p.mallocMiB}; kept heaps: ` +
    `relay ${p.relayKeptMiB}, workers ${p.workersKeptMiB})`
  ).join("; ") + ` MiB; recycles ${r.recycles}`;

const emu = await startEmulatorProcess();
let bench: BenchFlora | null = null;
try {
  await emu.client.setRateLimits({ enabled: false });
  const guilds = await createGuilds(emu.client, GUILDS);
  bench = await startBenchFlora(emu, 100, {
    ...(reducer ? { FLORA_SANDBOX_MEMORY_REDUCER: "1" } : {}),
    ...(semiSpace > 0 ? { FLORA_SANDBOX_SEMI_SPACE_MB: String(semiSpace) } : {}),
    // On a machine loaded by other work a sandbox process can miss heartbeats for seconds; being
    // killed for it would restart the curve this measures.
    FLORA_SANDBOX_LIVENESS_MS: "60000",
    ...extraEnv,
  });
  register(bench, guilds.map((g) => g.id));
  await warm(bench, emu, guilds);
  const active = bench;
  const replies = () => active.flora.metrics.restCalls.get("message.send");
  const base = active.handled();
  const baseReplies = replies();
  // A heartbeat after the warm-up, so the first row's heaps are not stale.
  await sleep(1_000);
  const rows: Row[] = [sample(active, 0)];
  console.log(`start: ${describe(rows[0])}`);
  let injected = 0, stalled = false;
  for (let round = 1; round <= rounds; round++) {
    const target = baseReplies + round * perRound;
    await inject(emu.url, spread(guilds, perRound, "!ping"));
    injected += perRound;
    const eventsBefore = active.flora.metrics.eventsIn.total();
    try {
      await until(() => replies() >= target, 120_000, `round ${round}`, 20);
    } catch (error) {
      // Seen on a loaded machine: the emulator's gateway stops delivering (no event reaches the
      // host). The rounds done so far still make a curve; say so and judge those.
      const arrived = active.flora.metrics.eventsIn.total() - eventsBefore;
      console.log(
        `round ${round} stalled (${error}; ${arrived} events reached the host in 2 min): ` +
          `stopping after ${round - 1} rounds`,
      );
      stalled = true;
      break;
    }
    // Let the replies drain before sampling.
    await sleep(500);
    rows.push(sample(active, round * perRound));
    console.log(`after ${round * perRound} messages: ${describe(rows.at(-1)!)}`);
  }
  await sleep(15_000);
  const done = rows.at(-1)!.messages;
  const idle = sample(active, done);
  console.log(`after 15 s idle: ${describe(idle)}`);
  const handled = active.handled() - base;
  const answered = replies() - baseReplies;
  const { metrics } = active.flora;
  const dropped = metrics.eventsDropped.total();
  const crashes = metrics.crashes.total();
  const coldStarts = metrics.coldStarts.total();
  const last = rows.slice(-tail);
  const curve = (i: number) =>
    last.map((r): [number, number] => [r.messages / 1000, r.processes[i].rssMiB]);
  const round2 = (x: number) => Math.round(x * 100) / 100;
  const slopes = last[0].processes.map((_, i) => round2(envelopeSlope(curve(i), windows)));
  const rawSlopes = last[0].processes.map((_, i) => round2(leastSquaresSlope(curve(i))));
  const peaks = slopes.map((_, i) => Math.max(...rows.map((r) => r.processes[i].rssMiB)));
  const levelsOff = slopes.every((s) => s < maxSlope);
  // Each `!ping` is two events for the script: the message and the bot's own "pong".
  const sent = done;
  console.log(
    `!pings sent ${injected}, answered ${answered} ` +
      (answered === injected ? "(each once)" : stalled ? "(a round stalled)" : "(MISMATCH)") +
      `; events handled ${handled} (the pings and the bot's replies: ${2 * sent} expected), ` +
      `dropped ${dropped}` +
      `; worker crashes ${crashes}, cold starts ${coldStarts}, recycles ${idle.recycles}`,
  );
  console.log(
    `last ${last.length} rounds (${last[0].messages}–${last.at(-1)!.messages} messages): ` +
      `RSS envelope slope per process (peaks of ${windows} runs) ` +
      `${slopes.map((s) => `${s >= 0 ? "+" : ""}${s}`).join(", ")} MiB per 1,000 messages ` +
      `(least squares over every round: ${rawSlopes.join(", ")}), peaks ${peaks.join(", ")} MiB: ` +
      (levelsOff
        ? `levels off (every slope under ${maxSlope})`
        : `still growing (${maxSlope} or more)`),
  );
  console.log(JSON.stringify({
    reducer,
    semiSpace,
    env: extraEnv,
    guilds: GUILDS,
    perRound,
    answered,
    handled,
    dropped,
    crashes,
    coldStarts,
    slopes,
    rawSlopes,
    peaks,
    levelsOff,
    rows,
    idle,
  }));
} finally {
  await bench?.close();
  await emu.close();
}
