import assert from "node:assert/strict";
import { grantBurst, newCpuHealth, recordCpu, silenceLimit } from "./watchdog.ts";

const limits = {
  eventTimeoutMs: 1_000,
  loadTimeoutMs: 1_000,
  cpuWindowMs: 10_000,
  maxCpuShare: 0.5,
};

Deno.test("grantBurst raises a worker's silence limit by the burst", () => {
  const worker = {
    ...newCpuHealth(),
    loading: false,
    pingSeq: 0,
    pingSentAt: null,
    reportedBytes: 0,
  };
  assert.equal(silenceLimit(worker, limits), 1_000);
  grantBurst(worker, 0, 4_000);
  assert.equal(silenceLimit(worker, limits), 5_000);
});

Deno.test("recordCpu counts a burst granted in the window as CPU the guild may use", () => {
  const run = (burst: boolean) => {
    const cpu = newCpuHealth();
    const worker = { ...cpu, loading: false, pingSeq: 0, pingSentAt: null, reportedBytes: 0 };
    if (burst) grantBurst(worker, 0, 4_000);
    recordCpu(worker, { at: 0, cpuMs: 0 }, false, limits);
    // 8 s of CPU in 10 s: over the 50% share (5 s), within it plus a 4 s burst.
    return recordCpu(worker, { at: 10_000, cpuMs: 8_000 }, false, limits)?.kind ?? null;
  };
  assert.equal(run(false), "share");
  assert.equal(run(true), null);
});
