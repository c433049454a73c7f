import assert from "node:assert/strict";
import { DeadlineTimer } from "./deadline_timer.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A timer and when it expired (performance.now() ms each time). */
function watched() {
  const expired: number[] = [];
  return { timer: new DeadlineTimer(() => expired.push(performance.now())), expired };
}

Deno.test("a deadline moved later expires once, not before the later time", async () => {
  const { timer, expired } = watched();
  const start = performance.now();
  timer.set(start + 20);
  timer.set(start + 60);
  // Timers fire in deadline order, so by the end of this sleep both deadlines have passed; when
  // it expired is read from its own clock (a loaded CI machine wakes sleeps hundreds of ms late).
  await sleep(120);
  assert.equal(expired.length, 1);
  assert.ok(expired[0] >= start + 60);
  timer.stop();
});

Deno.test("a deadline moved earlier expires at the earlier time", async () => {
  const { timer, expired } = watched();
  const start = performance.now();
  timer.set(start + 5_000);
  timer.set(start + 20);
  await sleep(100);
  assert.equal(expired.length, 1);
  assert.ok(expired[0] >= start + 20);
  timer.stop();
});

Deno.test("a cleared deadline never expires; a new one does", async () => {
  const { timer, expired } = watched();
  timer.set(performance.now() + 20);
  timer.clear();
  await sleep(60);
  assert.deepEqual(expired, []);
  timer.set(performance.now() + 10);
  await sleep(60);
  assert.equal(expired.length, 1);
  timer.stop();
});

Deno.test("a stopped timer leaves nothing pending", () => {
  const { timer } = watched();
  timer.set(performance.now() + 60_000);
  timer.stop(); // the test sanitizer fails on a pending timer
});
