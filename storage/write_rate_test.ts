import assert from "node:assert/strict";
import { StorageInputError } from "./types.ts";
import { WriteRateLimiter } from "./write_rate.ts";

Deno.test("WriteRateLimiter refuses writes past the per-minute limit, per guild", () => {
  let now = 1_000_000;
  const limiter = new WriteRateLimiter(3, () => now);
  limiter.take("a");
  limiter.take("a");
  now += 30_000;
  limiter.take("a");
  assert.throws(
    () => limiter.take("a"),
    (e: Error) => e instanceof StorageInputError && /may write 3 times per minute/.test(e.message),
  );
  limiter.take("b"); // another guild has its own budget
  now += 31_000; // the first two writes left the window
  limiter.take("a");
  limiter.take("a");
  assert.throws(() => limiter.take("a"), StorageInputError);
  now += 120_000; // everything left the window
  limiter.take("a");
});
