import assert from "node:assert/strict";
import { CrashLoopDetector } from "./crash_loop.ts";

Deno.test("a guild is suspended on the Nth failure within the window, not before", () => {
  const detector = new CrashLoopDetector({ maxFailures: 3, windowMs: 1_000 });
  assert.equal(detector.failure("g", "d1", 0), null);
  assert.equal(detector.failure("g", "d1", 100), null);
  assert.match(detector.failure("g", "d1", 200) ?? "", /stopped 3 times within 1 s/);
});

Deno.test("failures older than the window do not count, nor other deployments or guilds", () => {
  const detector = new CrashLoopDetector({ maxFailures: 2, windowMs: 1_000 });
  assert.equal(detector.failure("g", "d1", 0), null);
  assert.equal(detector.failure("g", "d1", 1_500), null); // the first one expired
  assert.equal(detector.failure("g", "d2", 1_600), null); // a redeploy starts afresh
  assert.equal(detector.failure("h", "d1", 1_600), null); // another guild
  assert.notEqual(detector.failure("g", "d1", 1_700), null);
});

Deno.test("reset forgets a guild's failures", () => {
  const detector = new CrashLoopDetector({ maxFailures: 2, windowMs: 1_000 });
  detector.failure("g", "d1", 0);
  detector.reset("g");
  assert.equal(detector.failure("g", "d1", 10), null);
});

Deno.test("a policy without failures is refused", () => {
  assert.throws(() => new CrashLoopDetector({ maxFailures: 0, windowMs: 1 }), RangeError);
});
