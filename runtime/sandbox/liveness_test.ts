import assert from "node:assert/strict";
import { checkLiveness } from "./liveness.ts";

const options = { silenceMs: 3_000, checkEveryMs: 500 };

Deno.test("checkLiveness names the ready processes silent past the limit", () => {
  const quiet = { isReady: true, lastHeardAt: 0 };
  const chatty = { isReady: true, lastHeardAt: 3_900 };
  const starting = { isReady: false, lastHeardAt: 0 };
  const { late, silent } = checkLiveness([quiet, chatty, starting], 4_000, 3_500, options);
  assert.equal(late, false);
  assert.deepEqual(silent, [{ process: quiet, silentMs: 4_000 }]);
});

Deno.test("checkLiveness judges nobody when the check itself ran late", () => {
  const quiet = { isReady: true, lastHeardAt: 0 };
  const { late, silent } = checkLiveness([quiet], 10_000, 1_000, options);
  assert.equal(late, true);
  assert.deepEqual(silent, []);
});

Deno.test("checkLiveness refuses a limit that is not positive", () => {
  assert.throws(() => checkLiveness([], 0, null, { silenceMs: 0, checkEveryMs: 1 }), RangeError);
});
