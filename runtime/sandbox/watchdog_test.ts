import assert from "node:assert/strict";
import {
  budgetFor,
  overMemory,
  pickMemoryCulprit,
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
