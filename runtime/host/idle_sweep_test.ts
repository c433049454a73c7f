import assert from "node:assert/strict";
import { IdleSweep, IdleWaiter } from "./idle_sweep.ts";

Deno.test("IdleSweep runs only while workers are resident and the host is not closing", async () => {
  let sweeps = 0;
  const sweep = new IdleSweep(5, () => sweeps++);
  sweep.check(0, false);
  sweep.check(2, true);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(sweeps, 0, "nothing resident, or closing: no timer");
  sweep.check(1, false);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.ok(sweeps > 0);
  sweep.check(0, false);
  const after = sweeps;
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(sweeps, after, "stopped once nothing is resident");
});

Deno.test("IdleWaiter resolves once idle, or at the deadline", async () => {
  let busy = true;
  const waiter = new IdleWaiter(() => !busy);
  const waited = waiter.wait(10_000);
  busy = false;
  waiter.check();
  await waited;
  busy = true;
  const started = Date.now();
  await new IdleWaiter(() => !busy).wait(20);
  assert.ok(Date.now() - started >= 15, "still busy: waits for the deadline");
  await new IdleWaiter(() => true).wait(10_000); // already idle: at once
});
