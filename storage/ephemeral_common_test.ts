import assert from "node:assert/strict";
import { slidingWindow } from "./ephemeral_common.ts";

const at = (prev: number, curr: number, fraction: number) =>
  slidingWindow({
    prev,
    curr,
    start: 60_000,
    now: 60_000 + fraction * 60_000,
    limit: 300,
    windowMs: 60_000,
  });

Deno.test("slidingWindow weighs the previous window by the part still inside the slide", () => {
  // The case: 300 requests at the end of one minute, more just after the boundary.
  assert.equal(at(300, 0, 0.001).allowed, false);
  assert.equal(at(300, 0, 0.01).remaining, 2, "1 % of the minute: 3 slid out");
  // 20 s in, a third of the previous window has slid out: 100 more fit, not 300.
  const third = 1 / 3;
  assert.equal(at(300, 99, third).allowed, true);
  assert.equal(at(300, 100, third).allowed, false);
  assert.equal(at(0, 299, 0.5).remaining, 0);
  assert.equal(at(0, 0, 0.5).remaining, 299);
});

Deno.test("slidingWindow says when the next hit fits", () => {
  // Within this window, once enough of the previous one has faded.
  const fading = at(300, 100, 0.2);
  assert.equal(fading.allowed, false);
  assert.ok(Math.abs(fading.resetAt - (60_000 + (1 - 199 / 300) * 60_000)) <= 1);
  const fits = at(300, 100, (fading.resetAt - 60_000) / 60_000);
  assert.equal(fits.allowed, true);
  // This window full: early in the next one.
  const full = at(0, 300, 0.5);
  assert.equal(full.allowed, false);
  assert.ok(full.resetAt > 120_000 && full.resetAt <= 120_000 + 201, `${full.resetAt}`);
});
