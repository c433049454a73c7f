/**
 * `deno task bench:cost`: the CPU an event costs each role, in one run — the
 * plain Discordeno bot against flora at one size, both through the emulator
 * (its own process), plus flora's host fed directly (no gateway), and the
 * floor under flora's shape (`shape_floor.ts`: the plain bot handing each
 * guild's events to a bare Web Worker of its own, no flora code; its workers'
 * CPU is in the sandboxes' column). CPU time
 * is read per thread from `/proc`, so the figures hold on a busy machine
 * where wall-clock rates do not. The plain bot's rounds run first (flora's
 * gateway, connected, would take the same events). flora's rounds also give
 * the dispatch latency (the host's receipt of an event to its handler's
 * start), the price of holding events for bigger batches (`--hold-ms`).
 *
 * Flags: `--guilds=N` (1,000), `--events=N` (100,000 per round), `--rounds=N` (3),
 * `--only=plain|floor|flora` (one kind of round), `--nice=N` (the sandboxes' niceness; flora's default, 10, unless given),
 * `--hold-ms=N` (`FLORA_BATCH_HOLD_MS`, flora's default unless given), `--processes=N`
 * (`FLORA_SANDBOX_PROCESSES`, 2), `--sandbox-v8-flags=--a,--b` (`FLORA_SANDBOX_V8_FLAGS`),
 * `--sandbox-cpus=LIST` (`FLORA_SANDBOX_CPUS`: flora's rounds with the sandboxes on those CPUs, the
 * host and the emulator on the others), `--rate=N`: flora's rounds send N events a second (a chunk
 * every 20 ms, round-robin over the guilds) instead of all at once, and the direct rounds are
 * left out — the dispatch latency of a sustained rate (below saturation, or past it),
 * `--profile=DIR`: V8 CPU profiles go there — the host's for each flora phase (`host-flora-N`,
 * `host-direct-N`), the emulator's and each sandbox process's and worker's for their lifetime
 * (sampled every 10 ms: a profiler per isolate); `bench/profile_summary.ts`
 * prints their top functions. `--profile-only=host` profiles the host alone
 * (every worker's profiler swamps a 2-core machine). Profiling costs CPU:
 * take figures from a run without it.
 *
 * @module
 */

import { startEmulatorProcess } from "./emulator_process.ts";
import { cpuListText, pinProcess, placeSandboxes } from "../runtime/sandbox/cpu_affinity.ts";
import {
  benchMessage,
  register,
  sandboxPids,
  sandboxRss,
  startBenchFlora,
  untilSettled,
  warm,
} from "./flora_bench.ts";
import { phaseProfiler } from "./phase_profiler.ts";
import { runPlainBot } from "./plain_bot.ts";
import { floorRoles, runShapeFloor } from "./shape_floor.ts";
import { round, sleep, summarize, type Summary } from "./stats.ts";
import { faultsOf, type ThreadCpu, threadCpuSplit, threadCpuTotal } from "./thread_cpu.ts";
import { createGuilds, inject, spread } from "../emulator/bench_world.ts";

const flag = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const GUILDS = Number(flag("guilds") ?? 1_000);
const EVENTS = Number(flag("events") ?? 100_000);
const ROUNDS = Number(flag("rounds") ?? 3);
const ONLY = flag("only");
/** Whether this run has rounds of `kind` (`--only`). */
const runs = (kind: "plain" | "floor" | "flora") => ONLY === undefined || ONLY === kind;
const PROFILE = flag("profile");
/** Events a second in flora's rounds (`--rate`); 0: all at once. */
const RATE = Number(flag("rate") ?? 0);
/** A paced round sends a chunk this often, ms. */
const PACE_MS = 20;
/** flora's settings under test beside the bench's own (`--nice`, `--hold-ms`). */
const SETTINGS: Record<string, string> = {
  ...(flag("nice") === undefined ? {} : { FLORA_SANDBOX_NICE: flag("nice")! }),
  ...(flag("hold-ms") === undefined ? {} : { FLORA_BATCH_HOLD_MS: flag("hold-ms")! }),
  ...(flag("processes") === undefined ? {} : { FLORA_SANDBOX_PROCESSES: flag("processes")! }),
  ...(flag("sandbox-v8-flags") === undefined
    ? {}
    : { FLORA_SANDBOX_V8_FLAGS: flag("sandbox-v8-flags")! }),
  ...(flag("sandbox-cpus") === undefined ? {} : { FLORA_SANDBOX_CPUS: flag("sandbox-cpus")! }),
};
/** Profile every role, or (`host`) the host's flora phases alone. */
const PROFILE_ALL = PROFILE !== undefined && flag("profile-only") !== "host";
/** Workers idle this long stop while profiling (longer than the warm-up), ms. */
const IDLE_MS = 90_000;
const load = () => Deno.loadavg()[0].toFixed(1);
const log = (message: string) => console.error(`[cost] ${message} (load average ${load()})`);

type Split = Record<string, ThreadCpu>;
interface Round {
  kind: "plain" | "floor" | "flora" | "direct";
  eventsPerSec: number;
  cpu: Split;
  load: string;
  /** Events per batch sent to a worker (each batch wakes a worker's thread once). */
  perBatch?: number;
  /** From the host's receipt of an event to its handler's start, ms. */
  dispatchMs?: Summary;
  /**
   * From the round's send (every event at once) to the host hearing of each handler's start,
   * ms: what a burst's sender waits, wherever the backlog sits (the emulator's socket or the
   * host's queues). Absent for paced rounds.
   */
  sinceSendMs?: Summary;
  /** The sandbox processes' start delay (send to first handler start), sampled, ms. */
  startDelayMs?: Summary;
  /** The host's main thread, per event: minor page faults and system CPU µs (not for the floor). */
  hostMain?: { faults: number; systemUs: number };
  /** Each role's processes that exited during the round: its CPU figure is incomplete. */
  gone: Record<string, number[]>;
}

/** The host's main thread's page faults and system time from now on, per event. */
function mainThreadFaults(): { perEvent(events: number): NonNullable<Round["hostMain"]> } {
  const before = faultsOf(Deno.pid);
  return {
    perEvent: (events) => {
      const now = faultsOf(Deno.pid);
      return {
        faults: round((now.faults - before.faults) / events, 3),
        systemUs: round(((now.system - before.system) / events) * 1e6, 1),
      };
    },
  };
}
const rounds: Round[] = [];
let batches = 0;
/** The sandbox processes' RSS per guild after the warm-up and after the rounds, KiB. */
const sandboxKiB: number[] = [];

if (PROFILE) await Deno.mkdir(PROFILE, { recursive: true });
/** The host's own profile, one file per flora phase (the sandboxes and the emulator profile their lifetime). */
const profiler = PROFILE ? phaseProfiler(PROFILE) : null;
const emu = await startEmulatorProcess(
  PROFILE_ALL
    ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`, "--cpu-prof-name=emulator.cpuprofile"]
    : [],
);
try {
  log(`creating ${GUILDS} guilds`);
  const guilds = await createGuilds(emu.client, GUILDS);
  // The plain bot first: flora's gateway, connected, would take the same events meanwhile.
  for (let r = 0; r < ROUNDS && runs("plain"); r++) {
    const at = load();
    const faults = mainThreadFaults();
    const plain = await runPlainBot(emu, guilds, EVENTS, 0);
    rounds.push({
      kind: "plain",
      eventsPerSec: plain.eventsPerSec,
      cpu: plain.threadCpuUsPerEvent,
      gone: {}, // the emulator and this process outlive the round
      load: at,
      hostMain: faults.perEvent(EVENTS),
    });
    log(`plain ${JSON.stringify(rounds.at(-1))}`);
    await sleep(1_000);
  }
  const bench = !runs("flora") ? null : await startBenchFlora(
    emu,
    GUILDS,
    // Profiling: idle workers stop soon (each writes its profile as it stops), so the sandbox
    // processes have few left to stop at the end and write their own before the host kills them.
    PROFILE_ALL ? { ...SETTINGS, FLORA_WORKER_IDLE_MS: String(IDLE_MS) } : SETTINGS,
    PROFILE_ALL ? { sandboxCpuProfile: { dir: PROFILE, intervalUs: 10_000 } } : {},
  );
  try {
    const cpus = bench && SETTINGS.FLORA_SANDBOX_CPUS
      ? placeSandboxes(SETTINGS.FLORA_SANDBOX_CPUS)
      : undefined;
    if (cpus?.host.length) {
      // flora moved this process (the host) off the sandboxes' CPUs; the emulator, the rest of
      // the machine, goes with it. The plain bot's rounds, before, ran on every CPU.
      await pinProcess(cpus.taskset, emu.pid, cpus.host);
      log(
        `sandboxes on CPUs ${cpuListText(cpus.sandboxes)}, host and emulator on ${
          cpuListText(cpus.host)
        }`,
      );
    }
    if (bench) {
      register(bench, guilds.map((g) => g.id));
      log("warming every guild's worker");
      await warm(bench, emu, guilds);
      sandboxKiB.push(Math.round(sandboxRss(bench) / GUILDS / 1024));
      // Counts the batches the host sends (each one wakes a worker's thread).
      const pool = bench.flora.pool;
      const send = pool.send.bind(pool);
      pool.send = (key, message, ...rest) => {
        if (message.type === "events") batches++;
        return send(key, message, ...rest);
      };
    }
    for (let r = 0; r < ROUNDS && bench; r++) {
      const roles = () => ({
        emulator: [emu.pid],
        host: [Deno.pid],
        sandboxes: sandboxPids(bench),
      });
      /** One measured round of `kind`: `send` hands the host EVENTS events, then all settle. */
      const measure = async (kind: "flora" | "direct", send: () => Promise<void>) => {
        const at = load();
        const before = bench.handled();
        const settled = bench.settled();
        const batchesBefore = batches;
        bench.dispatchMs = [];
        bench.heardAt = [];
        bench.recording = true;
        await profiler?.start();
        const split = threadCpuSplit(roles());
        const faults = mainThreadFaults();
        const start = performance.now();
        const startDelays: number[] = [];
        const sampler = setInterval(
          () => startDelays.push(bench.flora.sandboxes.startDelayMs()),
          100,
        );
        await send();
        await untilSettled(bench, settled + EVENTS);
        clearInterval(sampler);
        const handled = bench.handled() - before;
        bench.recording = false;
        await profiler?.stop(`host-${kind}-${r}`);
        rounds.push({
          kind,
          eventsPerSec: Math.round(handled / ((performance.now() - start) / 1000)),
          cpu: split.perEventUs(handled),
          gone: split.gone(),
          load: at,
          perBatch: round(handled / (batches - batchesBefore), 2),
          dispatchMs: summarize(bench.dispatchMs),
          sinceSendMs: RATE > 0 && kind === "flora"
            ? undefined
            : summarize(bench.heardAt.map((at) => at - start)),
          startDelayMs: summarize(startDelays),
          hostMain: faults.perEvent(handled),
        });
        log(`${kind} ${JSON.stringify(rounds.at(-1))}`);
      };
      const messages = spread(guilds, EVENTS, "hello");
      await measure("flora", () => RATE > 0 ? injectPaced(messages) : inject(emu.url, messages));
      await sleep(1_000);
      if (RATE > 0) continue;
      // The host alone: events handed to the sink as the router would (with their gateway
      // frame's text, made beforehand), no gateway.
      const payloads = Array.from({ length: EVENTS }, (_, i) => {
        const d = benchMessage(guilds[i % guilds.length], i);
        return { d, frame: JSON.stringify({ t: "MESSAGE_CREATE", s: i + 1, op: 0, d }) };
      });
      await measure("direct", async () => {
        for (let i = 0; i < EVENTS; i++) {
          const { d, frame } = payloads[i];
          bench.flora.sandboxes.deliver(d.guild_id, "messageCreate", d, undefined, frame);
          if (i % 5_000 === 4_999) await new Promise((r) => setTimeout(r, 0));
        }
      });
      await sleep(1_000);
    }
    if (bench) sandboxKiB.push(Math.round(sandboxRss(bench) / GUILDS / 1024));
  } finally {
    if (PROFILE_ALL && bench) await sleep(IDLE_MS + 30_000);
    await bench?.close();
  }
  // Last: its thousand workers, stopped, leave this process (flora's host) a larger heap.
  if (runs("floor")) {
    await sleep(1_000);
    log(`starting ${GUILDS} bare workers for the shape floor`);
    for (const floor of await runShapeFloor(emu, guilds, EVENTS, ROUNDS)) {
      rounds.push({
        kind: "floor",
        eventsPerSec: floor.eventsPerSec,
        cpu: floorRoles(floor.threadCpuUsPerEvent),
        gone: {},
        load: floor.load,
        perBatch: floor.perBatch,
      });
      log(`floor ${JSON.stringify(rounds.at(-1))}`);
    }
  }
} finally {
  await emu.close();
}

/** Sends `messages` through the emulator at {@linkcode RATE} a second, catching up when late. */
async function injectPaced(messages: ReturnType<typeof spread>): Promise<void> {
  const chunk = Math.max(1, Math.round(RATE * PACE_MS / 1000));
  const start = performance.now();
  for (let i = 0, k = 0; i < messages.length; i += chunk, k++) {
    const wait = start + k * PACE_MS - performance.now();
    if (wait > 0) await sleep(wait);
    await inject(emu.url, messages.slice(i, i + chunk));
  }
}

/** Sum of a role's thread kinds. */
if (sandboxKiB.length > 0) {
  console.log(
    `sandbox processes' RSS per guild: ${
      sandboxKiB.join(" KiB after warm-up, ")
    } KiB after the rounds\n`,
  );
}
const total = (t: ThreadCpu | undefined) => t ? threadCpuTotal(t) : NaN;
const cell = (t: ThreadCpu | undefined) =>
  t ? `${total(t)} (${t.main}/${t.workers}/${t.v8}/${t.runtime})` : "-";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(
  `CPU µs/event per role: total (main thread / worker threads / V8 helpers / I/O runtime)\n`,
);
const header = [
  "run",
  "load",
  "events/s",
  "per batch",
  "dispatch p50/p99 ms",
  "since send p50/p99 ms",
  "start delay p50/p99 ms",
  "emulator",
  "host",
  "sandboxes",
  "host main: faults, sys µs",
];
const rows = rounds.map((r) => [
  r.kind,
  r.load,
  String(r.eventsPerSec),
  r.perBatch === undefined ? "-" : String(r.perBatch),
  r.dispatchMs ? `${round(r.dispatchMs.p50, 1)} / ${round(r.dispatchMs.p99, 1)}` : "-",
  r.sinceSendMs ? `${round(r.sinceSendMs.p50, 1)} / ${round(r.sinceSendMs.p99, 1)}` : "-",
  r.startDelayMs ? `${round(r.startDelayMs.p50, 1)} / ${round(r.startDelayMs.p99, 1)}` : "-",
  cell(r.cpu.emulator) + (r.gone.emulator ? "*" : ""),
  cell(r.cpu.host) + (r.gone.host ? "*" : ""),
  cell(r.cpu.sandboxes) + (r.gone.sandboxes ? "*" : ""),
  r.hostMain ? `${r.hostMain.faults}, ${r.hostMain.systemUs}` : "-",
]);
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
for (const row of [header, ...rows]) {
  console.log(row.map((v, c) => v.padEnd(widths[c])).join("  "));
}
for (const r of rounds) {
  for (const [role, pids] of Object.entries(r.gone)) {
    console.log(
      `* ${r.kind} round at load ${r.load}: ${role} process(es) ${pids.join(", ")} exited during ` +
        "it; their CPU, and any replacement's, is not in the figure",
    );
  }
}
const of = (kind: Round["kind"], role: string) =>
  median(rounds.filter((r) => r.kind === kind).map((r) => total(r.cpu[role])));
const plainHost = of("plain", "host");
const floraHost = of("flora", "host");
const rate = (kind: Round["kind"]) =>
  median(rounds.filter((r) => r.kind === kind).map((r) => r.eventsPerSec));
console.log(
  `\nmedians: plain bot ${plainHost} µs, flora host ${floraHost} µs (${
    round(floraHost / plainHost, 2)
  }×), flora sandboxes ${of("flora", "sandboxes")} µs, the floor's workers ${
    of("floor", "sandboxes")
  } µs; events/s plain ${rate("plain")}, floor ${rate("floor")} (${
    round(rate("floor") / rate("plain"), 2)
  }×), flora ${rate("flora")} (${round(rate("flora") / rate("plain"), 2)}×), direct ${
    rate("direct")
  }`,
);
