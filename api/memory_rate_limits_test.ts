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

Deno.test("memory rate limits slide: a burst at a window's end still counts after the boundary", async () => {
  const limits = new MemoryRateLimitStore();
  const windowMs = 2_000;
  const late = Math.floor(Date.now() / windowMs) * windowMs + windowMs * 0.7;
  while (Date.now() < late) await new Promise((r) => setTimeout(r, late - Date.now() + 1));
  const burst = await Promise.all(Array.from({ length: 4 }, () => limits.hit("s", 4, windowMs)));
  if (!burst.every((r) => r.allowed && r.resetAt === burst[0].resetAt)) return; // straddled
  while (Date.now() <= burst[0].resetAt) await new Promise((r) => setTimeout(r, 5));
  assert.equal((await limits.hit("s", 4, windowMs)).allowed, false);
});
