import assert from "node:assert/strict";
import { MemoryRateLimitStore } from "./memory_rate_limits.ts";

Deno.test("memory rate limits count per key within a window", async () => {
  const limits = new MemoryRateLimitStore();
  for (let i = 0; i < 3; i++) {
    const r = await limits.hit("a", 3, 60_000);
    assert.equal(r.allowed, true);
    assert.equal(r.remaining, 2 - i);
  }
  const refused = await limits.hit("a", 3, 60_000);
  assert.equal(refused.allowed, false);
  assert.ok(refused.resetAt > Date.now());
  assert.equal((await limits.hit("b", 3, 60_000)).allowed, true, "keys are independent");
  // A 1 ms window has always rolled over by the next millisecond.
  const first = await limits.hit("c", 1, 1);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(first.allowed, true);
  assert.equal((await limits.hit("c", 1, 1)).allowed, true);
});
