/**
 * `deno task bench:soak`: do the sandbox processes' memory level off under a
 * long load, and is it returned when idle? Sends rounds of `!ping` messages
 * (each answered) to a few guilds through the emulator (its own process),
 * and prints the sandbox processes' RSS and heaps (their own isolates' and
 * their workers', from the processes' heartbeats) after each round and
 * after an idle pause, then whether RSS levelled off: the slope of the last
 * rounds (least squares, MiB per 1,000 messages) against `--max-slope=`
 * (default 0.3). `--rounds=N` (default 8), `--per-round=N` (default 5,000),
 * `--tail=N` rounds in the slope (default half),
 * `--reducer` turns V8's memory reducer on in the sandbox processes, `--semi-space=MB` caps
 * each worker's young generation (`FLORA_SANDBOX_SEMI_SPACE_MB`).
 * CPU-heavy: not part of `deno task bench` nor of CI.
 *
 * @module
 */

import { startEmulatorProcess } from "./emulator_process.ts";
import type { ProcessMemory } from "../runtime/sandbox/protocol/mod.ts";
import { type BenchFlora, register, startBenchFlora, warm } from "./flora_bench.ts";
import { mib, sleep, until } from "./stats.ts";
import { createGuilds, inject, spread } from "./world.ts";

function flag(name: string, fallback: number): number {
  const raw = Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  return raw === undefined ? fallback : Number(raw);
}

const rounds = flag("rounds", 8);
const perRound = flag("per-round", 5_000);
const reducer = Deno.args.includes("--reducer");
const semiSpace = flag("semi-space", 0);
const tail = Math.max(2, flag("tail", Math.ceil(rounds / 2)));
const maxSlope = flag("max-slope", 0.3);
const GUILDS = 50;

interface Row {
  messages: number;
  /**
   * The sandbox processes' RSS, their own heaps and their workers' heaps (in use, and kept
   * by V8: in use, garbage and free space), MiB, summed.
   */
  rssMiB: number;
  relayHeapMiB: number;
  relayKeptMiB: number;
  workersHeapMiB: number;
  workersKeptMiB: number;
}

/** The sandbox processes' figures at their latest heartbeat, summed. */
function sample(bench: BenchFlora, messages: number): Row {
  const all = bench.flora.pool.memory().filter((m): m is ProcessMemory => m !== null);
  const sum = (pick: (m: ProcessMemory) => number) => mib(all.reduce((t, m) => t + pick(m), 0));
  return {
    messages,
    rssMiB: sum((m) => m.rss),
    relayHeapMiB: sum((m) => m.heapUsed),
    relayKeptMiB: sum((m) => m.heapTotal),
    workersHeapMiB: sum((m) => m.workersHeapUsed),
    workersKeptMiB: sum((m) => m.workersHeapTotal),
  };
}

/** Least-squares slope of RSS over the rows, MiB per 1,000 messages. */
function slope(rows: Row[]): number {
  const xs = rows.map((r) => r.messages / 1000), ys = rows.map((r) => r.rssMiB);
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0, den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const describe = (r: Row) =>
  `RSS ${r.rssMiB} MiB; heaps in use/kept: relays ${r.relayHeapMiB}/${r.relayKeptMiB} MiB, ` +
  `workers ${r.workersHeapMiB}/${r.workersKeptMiB} MiB`;

const emu = await startEmulatorProcess();
let bench: BenchFlora | null = null;
try {
  await emu.client.setRateLimits({ enabled: false });
  const guilds = await createGuilds(emu.client, GUILDS);
  bench = await startBenchFlora(emu, 100, {
    ...(reducer ? { FLORA_SANDBOX_MEMORY_REDUCER: "1" } : {}),
    ...(semiSpace > 0 ? { FLORA_SANDBOX_SEMI_SPACE_MB: String(semiSpace) } : {}),
  });
  register(bench, guilds.map((g) => g.id));
  await warm(bench, emu, guilds);
  const active = bench;
  // A heartbeat after the warm-up, so the first row is not a stale figure.
  await sleep(1_000);
  const rows: Row[] = [sample(active, 0)];
  console.log(`start: ${describe(rows[0])}`);
  for (let round = 1; round <= rounds; round++) {
    const target = active.handled() + perRound;
    await inject(emu.url, spread(guilds, perRound, "!ping"));
    await until(() => active.handled() >= target, 600_000, `round ${round}`, 20);
    // Let the replies drain before sampling.
    await sleep(1_000);
    rows.push(sample(active, round * perRound));
    console.log(`after ${round * perRound} messages: ${describe(rows.at(-1)!)}`);
  }
  await sleep(15_000);
  const idle = sample(active, rounds * perRound);
  console.log(`after 15 s idle: ${describe(idle)}`);
  const last = rows.slice(-tail);
  const rate = Math.round(slope(last) * 100) / 100;
  console.log(
    `last ${last.length} rounds: RSS ${rate >= 0 ? "+" : ""}${rate} MiB per 1,000 messages: ` +
      (rate < maxSlope ? `levels off (under ${maxSlope})` : `still growing (${maxSlope} or more)`),
  );
  console.log(
    JSON.stringify({ reducer, semiSpace, guilds: GUILDS, perRound, rows, idle, tailSlope: rate }),
  );
} finally {
  await bench?.close();
  await emu.close();
}
