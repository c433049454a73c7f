import assert from "node:assert/strict";
import { MAX_DEFER_MS, QUIET_MS, spareDelay, SpareWorkers } from "./spare_workers.ts";

const IDLE_WORKER = URL.createObjectURL(
  new Blob(["self.onmessage = () => {};"], { type: "application/javascript" }),
);

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Notes activity every few ms for `ms`, as a process relaying a stream of messages does. */
async function busyFor(spares: SpareWorkers, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    spares.noteActivity();
    await new Promise((r) => setTimeout(r, 2));
  }
}

Deno.test("a spare waits for the process to be quiet, within a deadline", () => {
  assert.equal(spareDelay(1_000, 995, 990), QUIET_MS - 5, "busy 5 ms ago");
  assert.equal(spareDelay(1_000, 1_000 - QUIET_MS, 990), 0, "quiet long enough");
  assert.equal(spareDelay(1_000, -Infinity, 1_000), 0, "never busy");
  assert.equal(spareDelay(1_000 + MAX_DEFER_MS, 999 + MAX_DEFER_MS, 1_000), 0, "deadline reached");
  assert.equal(spareDelay(1_000, 999, 1_005 - MAX_DEFER_MS), 5, "never past the deadline");
});

Deno.test("spares are made, and replaced when taken", async () => {
  const spares = new SpareWorkers(IDLE_WORKER, 1);
  try {
    await until("a spare", () => spares.size === 1);
    spares.take().terminate();
    assert.equal(spares.size, 0);
    await until("the replacement", () => spares.size === 1);
  } finally {
    spares.close();
  }
});

Deno.test("a process that is never quiet still gets its spares, a little later", async () => {
  const spares = new SpareWorkers(IDLE_WORKER, 1);
  try {
    const made = until("a spare despite the traffic", () => spares.size === 1, 5_000);
    await Promise.all([busyFor(spares, 2_500), made]);
  } finally {
    spares.close();
  }
});
