import assert from "node:assert/strict";
import { CpuBurstRefused, CpuBursts } from "./cpu_bursts.ts";

Deno.test("CpuBursts grants from a per-guild bucket and refuses, saying what is left and when", () => {
  let now = 0;
  const counted: string[] = [];
  const bursts = new CpuBursts({ capacityMs: 10_000, refillMsPerMinute: 6_000 }, {
    granted: (g, ms) => counted.push(`${g} +${ms}`),
    refused: (g, ms) => counted.push(`${g} x${ms}`),
  }, () => now);
  assert.equal(bursts.grant("a", 8_000), 8_000);
  assert.throws(
    () => bursts.grant("a", 5_000),
    (e) =>
      e instanceof CpuBurstRefused &&
      e.message ===
        "CPU burst of 5000 ms refused: this guild has 2000 ms left of its 10000 ms burst budget; it refills 6000 ms a minute, so 5000 ms are there in 30 s",
  );
  assert.equal(bursts.grant("b", 10_000), 10_000, "another guild has its own bucket");
  now = 30_000; // half a minute: +3000 ms
  assert.equal(bursts.available("a"), 5_000);
  assert.equal(bursts.grant("a", 5_000), 5_000);
  now = 10 * 60_000;
  assert.equal(bursts.available("a"), 10_000, "never more than the capacity");
  assert.deepEqual(counted, ["a +8000", "a x5000", "b +10000", "a +5000"]);
});

Deno.test("CpuBursts refuses a burst that is not 1 to capacity ms", () => {
  const bursts = new CpuBursts({ capacityMs: 1_000 });
  for (const ms of [0, -5, 1.5, 1_001, NaN]) {
    assert.throws(() => bursts.grant("a", ms), /a CPU burst must be 1 to 1000 ms/);
  }
  assert.throws(() => new CpuBursts({ capacityMs: -1 }), /capacityMs must be a number ≥ 0/);
});
