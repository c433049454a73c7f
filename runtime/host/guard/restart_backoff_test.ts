import assert from "node:assert/strict";
import { RestartBackoff } from "./restart_backoff.ts";

const policy = { freeStops: 2, baseMs: 1_000, maxMs: 4_000, windowMs: 60_000 };

Deno.test("RestartBackoff restarts at once, then doubles the wait up to its cap", () => {
  const backoff = new RestartBackoff(policy);
  const delays = [0, 1, 2, 3, 4, 5].map((i) => backoff.stopped("g", "d", i * 10));
  assert.deepEqual(delays, [0, 0, 1_000, 2_000, 4_000, 4_000]);
  assert.equal(backoff.wait("g", 50), 4_000);
  assert.equal(backoff.wait("g", 3_050), 1_000);
  assert.equal(backoff.wait("g", 4_050), 0);
});

Deno.test("RestartBackoff forgets stops past its window", () => {
  const backoff = new RestartBackoff(policy);
  backoff.stopped("g", "d", 0);
  backoff.stopped("g", "d", 1);
  assert.equal(backoff.stopped("g", "d", 2), 1_000);
  assert.equal(backoff.stopped("g", "d", 70_000), 0, "the old stops are out of the window");
  assert.equal(backoff.wait("g", 200_000), 0);
});

Deno.test("RestartBackoff starts afresh for a new deployment and keeps guilds apart", () => {
  const backoff = new RestartBackoff(policy);
  for (let i = 0; i < 3; i++) backoff.stopped("g", "d1", i);
  assert.ok(backoff.wait("g", 3) > 0);
  assert.equal(backoff.wait("other", 3), 0, "a neighbour never waits for it");
  assert.equal(backoff.stopped("g", "d2", 4), 0);
  assert.equal(backoff.wait("g", 5), 0);
  for (let i = 0; i < 3; i++) backoff.stopped("g", "d2", i);
  backoff.forget("g");
  assert.equal(backoff.wait("g", 3), 0);
});

Deno.test("RestartBackoff refuses a policy it cannot follow", () => {
  assert.throws(() => new RestartBackoff({ ...policy, freeStops: -1 }), /freeStops/);
});
