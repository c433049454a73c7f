import assert from "node:assert/strict";
import { ProcessRecycling, type RecyclableSlot } from "./process_recycling.ts";
import type { ProcessMemory } from "./protocol/mod.ts";

const MiB = 1024 * 1024;

/** A slot whose serving child reports `rssMb`; a recycle swaps in a fresh child at once. */
function fakeSlot(rssMb: () => number) {
  let pid = 100;
  const childOf = () => ({
    isReady: true,
    pid: ++pid,
    get memory(): ProcessMemory {
      return {
        rss: rssMb() * MiB,
        heapUsed: 0,
        heapTotal: 0,
        workersHeapUsed: 0,
        workersHeapTotal: 0,
      };
    },
  });
  let current = childOf();
  const slot: RecyclableSlot & { recycles: number } = {
    index: 0,
    name: "sandbox process 0",
    recycles: 0,
    get current() {
      return current;
    },
    retiring: null,
    get pid() {
      return current.pid;
    },
    recycle() {
      slot.recycles++;
      current = childOf();
      // The old child had no workers left to move: it is gone at once.
      return { since: 0, workers: new Map() };
    },
    abandonRetiring() {},
  };
  return slot;
}

/** Runs `check` once a second from `from` to `to` (ms), as the pool does. */
function run(recycling: ProcessRecycling, slot: RecyclableSlot, from: number, to: number) {
  for (let now = from; now <= to; now += 1_000) recycling.check([slot], now);
}

Deno.test("ProcessRecycling recycles a process whose RSS crept past the ceiling, after minAgeMs", () => {
  let rss = 100;
  const slot = fakeSlot(() => rss);
  const recycling = new ProcessRecycling({ ceilingMb: 400, minAgeMs: 30_000 }, {});
  run(recycling, slot, 0, 600_000);
  assert.equal(slot.recycles, 0, "under the ceiling: never");
  rss = 450;
  run(recycling, slot, 601_000, 602_000);
  assert.equal(slot.recycles, 1, "an old process over the ceiling: at once");
  rss = 100; // the fresh process starts at the bottom again
  run(recycling, slot, 603_000, 900_000);
  assert.equal(slot.recycles, 1);
  assert.equal(recycling.minAgeOf(0), 30_000, "a useful recycle keeps the minimum age");
});

Deno.test("ProcessRecycling backs off, doubling the minimum age, when the working set itself is over the ceiling", () => {
  const slot = fakeSlot(() => 450); // every fresh process is over at once
  const recycling = new ProcessRecycling(
    { ceilingMb: 400, minAgeMs: 30_000, maxAgeBackoffMs: 240_000 },
    {},
  );
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    run(recycling, slot, 0, 3_600_000);
  } finally {
    console.error = original;
  }
  // Without the back-off: one recycle every 31 s, 116 in the hour. With it: at 30, 91 and 212 s
  // (each fresh process is first seen a second after the recycle), then every 241 s (the cap).
  assert.equal(slot.recycles, 17);
  assert.equal(recycling.minAgeOf(0), 240_000);
  const warnings = errors.filter((e) => e.includes("working set is over"));
  assert.equal(warnings.length, 3, "one warning per doubling, none once at the cap");
  assert.match(warnings[2], /next recycle waits 240 s\. Raise the ceiling/);
});

Deno.test("ProcessRecycling resets the back-off once a process lasts twice its minimum age", () => {
  let rss = 450;
  const slot = fakeSlot(() => rss);
  const recycling = new ProcessRecycling({ ceilingMb: 400, minAgeMs: 30_000 }, {});
  const original = console.error;
  console.error = () => {};
  try {
    run(recycling, slot, 0, 200_000);
    assert.ok(recycling.minAgeOf(0) > 30_000, "backed off");
    rss = 100;
    run(recycling, slot, 201_000, 2_000_000);
    rss = 450;
    run(recycling, slot, 2_001_000, 2_002_000);
  } finally {
    console.error = original;
  }
  assert.equal(recycling.minAgeOf(0), 30_000);
});

Deno.test("ProcessRecycling names a bad option", () => {
  assert.throws(
    () => new ProcessRecycling({ ceilingMb: 400, minAgeMs: 60_000, maxAgeBackoffMs: 1_000 }, {}),
    /maxAgeBackoffMs must be at least minAgeMs \(60000\), got 1000/,
  );
});
