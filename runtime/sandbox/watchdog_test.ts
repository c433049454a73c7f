import assert from "node:assert/strict";
import {
  budgetFor,
  IDLE_PING_MS,
  needsPing,
  newCpuHealth,
  overMemory,
  pickMemoryCulprit,
  type PingState,
  recordCpu,
  unexplainedBusy,
  unresponsive,
  type WorkerHealth,
} from "./watchdog.ts";

const limits = { eventTimeoutMs: 1_000, loadTimeoutMs: 5_000, cronTimeoutMs: 3_000 };
const health = (h: Partial<WorkerHealth> = {}): WorkerHealth => ({
  loading: false,
  pingSeq: 1,
  pingSentAt: null,
  reportedBytes: 0,
  ...h,
});

Deno.test("cron runs get their own budget; other events the event budget", () => {
  assert.equal(budgetFor("cron", limits), 3_000);
  assert.equal(budgetFor("messageCreate", limits), 1_000);
  assert.equal(budgetFor("cron", { eventTimeoutMs: 1_000, loadTimeoutMs: 1 }), 1_000);
});

Deno.test("a worker silent past its limit is unresponsive, whatever it claimed before", () => {
  assert.equal(unresponsive(health(), 10_000, limits), null); // answered its last ping
  assert.equal(unresponsive(health({ pingSentAt: 0 }), 2_900, limits), null); // cron may run 3 s
  assert.deepEqual(unresponsive(health({ pingSentAt: 0 }), 3_100, limits), {
    silentMs: 3_100,
    limitMs: 3_000,
  });
  // While loading, the load budget applies.
  assert.equal(unresponsive(health({ loading: true, pingSentAt: 0 }), 4_000, limits), null);
  assert.notEqual(unresponsive(health({ loading: true, pingSentAt: 0 }), 5_100, limits), null);
});

Deno.test("over the memory limit, the silent worker is blamed first, then the biggest", () => {
  const mem = { ...limits, processMemoryMb: 100, pingIntervalMs: 100 };
  assert.ok(overMemory(101 * 1024 * 1024, mem));
  assert.ok(!overMemory(99 * 1024 * 1024, mem));
  assert.ok(!overMemory(10 ** 12, limits)); // no limit configured
  const quiet = health({ reportedBytes: 10 });
  const big = health({ reportedBytes: 50 });
  const silent = health({ pingSentAt: 0, reportedBytes: 1 });
  assert.equal(pickMemoryCulprit([quiet, big, silent], 1_000, mem), silent);
  assert.equal(pickMemoryCulprit([quiet, big], 1_000, mem), big);
  assert.equal(pickMemoryCulprit([silent, health({ pingSentAt: 0 })], 1_000, mem), null);
  assert.equal(pickMemoryCulprit([health()], 1_000, mem), null);
});

/** Feeds `recordCpu` one report per `stepMs`, `share` of a core each, until a verdict or `untilMs`. */
function run(
  cpu = newCpuHealth(),
  opts: { share: number; stepMs?: number; fromMs?: number; untilMs: number; idle?: boolean },
  cpuLimits: Parameters<typeof recordCpu>[3] = limits,
) {
  const step = opts.stepMs ?? 200;
  let at = opts.fromMs ?? 0;
  let cpuMs = cpu.cpuSamples.at(-1)?.cpuMs ?? 0;
  if (cpu.cpuSamples.length === 0) recordCpu(cpu, { at, cpuMs }, true, cpuLimits);
  while (at < opts.untilMs) {
    at += step;
    cpuMs += opts.share * step;
    const verdict = recordCpu(cpu, { at, cpuMs }, opts.idle ?? true, cpuLimits);
    if (verdict) return { at, verdict, cpu };
  }
  return { at, verdict: null, cpu };
}

Deno.test("CPU with no event in flight past the event budget stops the worker", () => {
  // A yielding hog after `done`: 90% of a core, answering every ping.
  const hog = run(undefined, { share: 0.9, untilMs: 5_000 });
  assert.equal(hog.verdict?.kind, "idle");
  assert.equal(hog.at, 1_200); // the first report past the 1 s budget
  assert.match(
    hog.verdict!.detail,
    /used 90% of a CPU core for 1\.2 s after its handlers finished \(limit 1000 ms\)/,
  );
  // Starved by a busy machine, still well above the idle threshold: stopped too.
  assert.equal(run(undefined, { share: 0.2, untilMs: 5_000 }).verdict?.kind, "idle");
  // Background timers of a well-behaved script (5% of a core) are left alone.
  assert.equal(run(undefined, { share: 0.05, untilMs: 60_000 }).verdict, null);
  // The same load while events are in flight is the handlers' (their budget applies).
  assert.equal(run(undefined, { share: 0.9, untilMs: 5_000, idle: false }).verdict, null);
});

Deno.test("a quiet report or an event in flight ends the run of idle CPU use", () => {
  const cpu = run(undefined, { share: 0.9, untilMs: 800 }).cpu;
  assert.notEqual(cpu.idleBusySince, null);
  run(cpu, { share: 0, fromMs: 800, untilMs: 1_000 }); // one quiet round
  assert.equal(cpu.idleBusySince, null);
  // Busy again: the budget counts from the new run's start.
  assert.equal(run(cpu, { share: 0.9, fromMs: 1_000, untilMs: 2_000 }).verdict, null);
  const event = run(cpu, { share: 0.9, fromMs: 2_000, untilMs: 2_200, idle: false });
  assert.equal(event.verdict, null);
  assert.equal(cpu.idleBusySince, null);
});

Deno.test("more than the CPU share over the window stops the worker, even between events", () => {
  const share = { ...limits, eventTimeoutMs: 10_000, cpuWindowMs: 4_000, maxCpuShare: 0.5 };
  // Handlers that each stay within budget but keep a core 90% busy, event after event.
  const busy = run(undefined, { share: 0.9, untilMs: 20_000, idle: false }, share);
  assert.equal(busy.verdict?.kind, "share");
  assert.equal(busy.at, 2_400); // 2.16 s of CPU > half of a 4 s window
  assert.match(busy.verdict!.detail, /used 90% of a CPU core for 2\.4 s \(limit 50% over 4 s\)/);
  // 40% sustained is within a 50% share, however long.
  assert.equal(run(undefined, { share: 0.4, untilMs: 60_000, idle: false }, share).verdict, null);
  // A burst is judged over the whole window: 3 s at 100% then quiet is not over 50% of 8 s…
  const burst = { ...share, cpuWindowMs: 8_000 };
  const cpu = run(undefined, { share: 1, untilMs: 3_000, idle: false }, burst).cpu;
  assert.equal(
    run(cpu, { share: 0, fromMs: 3_000, untilMs: 9_000, idle: false }, burst).verdict,
    null,
  );
  // …and the window slides: old CPU drops out, so a second burst after a pause is fine too.
  assert.equal(
    run(cpu, { share: 1, fromMs: 9_000, untilMs: 12_000, idle: false }, burst).verdict,
    null,
  );
  assert.ok(cpu.cpuSamples[0].at >= 12_000 - 8_000 - 200);
  // A share of 1 (100%) disables the limit.
  const off = { ...share, maxCpuShare: 1 };
  assert.equal(run(undefined, { share: 1, untilMs: 60_000, idle: false }, off).verdict, null);
});

Deno.test("sparse reports are judged over their whole span", () => {
  const share = { ...limits, eventTimeoutMs: 10_000, cpuWindowMs: 2_000, maxCpuShare: 0.5 };
  // One report 10 s after the last: 4 s of CPU over 10 s is 40%, within 50%.
  assert.equal(
    run(undefined, { share: 0.4, stepMs: 10_000, untilMs: 10_000, idle: false }, share)
      .verdict,
    null,
  );
  assert.equal(
    run(undefined, { share: 0.6, stepMs: 10_000, untilMs: 10_000, idle: false }, share).verdict
      ?.kind,
    "share",
  );
});

Deno.test("only workers that may be running are pinged", () => {
  const asleep: PingState = {
    loading: false,
    pingSentAt: null,
    activeAt: 0,
    pongAt: 0,
    lastCpuMs: 0,
  };
  const now = 5_000;
  assert.equal(needsPing(asleep, false, now, false), false);
  assert.equal(needsPing(asleep, true, now, false), true); // an event in flight
  assert.equal(needsPing({ ...asleep, loading: true }, false, now, false), true);
  // Active since its last report: pinged; reported since (with no CPU): left asleep.
  assert.equal(
    needsPing({ ...asleep, activeAt: now - 100, pongAt: now - 300 }, false, now, false),
    true,
  );
  assert.equal(
    needsPing({ ...asleep, activeAt: now - 300, pongAt: now - 100 }, false, now, false),
    false,
  );
  assert.equal(needsPing({ ...asleep, lastCpuMs: 10 }, false, now, false), true); // still burning
  assert.equal(needsPing({ ...asleep, lastCpuMs: null }, false, now, false), true); // no report yet
  assert.equal(needsPing(asleep, false, IDLE_PING_MS, false), true); // the slow safety net
  assert.equal(needsPing(asleep, false, now, true), true); // someone unpinged is busy
  // Never a second ping while one is unanswered: its age is what measures silence.
  assert.equal(needsPing({ ...asleep, pingSentAt: 4_900 }, true, now, true), false);
});

Deno.test("unexplained CPU over a tenth of the round means a worker nobody pinged is busy", () => {
  assert.ok(unexplainedBusy(150, 200, 0));
  assert.ok(unexplainedBusy(30, 200, 0));
  assert.ok(!unexplainedBusy(10, 200, 0)); // one clock tick: noise
  assert.ok(!unexplainedBusy(0, 200, 0));
  // Waking 500 workers costs CPU their 10 ms clocks do not show: no sweep after a sweep.
  assert.ok(!unexplainedBusy(300, 200, 500));
  assert.ok(unexplainedBusy(150, 200, 20));
});

Deno.test("a busy worker's CPU history stays within the CPU window, however long it runs", () => {
  // Reports every 100 ms (twice per watchdog round, the most the sandbox process takes) for an
  // hour of work within its share: the history is the window's worth, not the hour's.
  const window = { ...limits, maxCpuShare: 0.5, cpuWindowMs: 30_000 };
  const { cpu, verdict } = run(
    undefined,
    { share: 0.3, stepMs: 100, untilMs: 3_600_000, idle: false },
    window,
  );
  assert.equal(verdict, null);
  assert.ok(cpu.cpuSamples.length <= 30_000 / 100 + 2, `${cpu.cpuSamples.length} samples`);
  assert.ok(cpu.cpuSamples[0].at >= 3_600_000 - 30_000 - 100);
});
