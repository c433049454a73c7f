import assert from "node:assert/strict";
import { SCHEDULING_DEFAULTS, schedulingOptions } from "./scheduling_options.ts";

Deno.test("schedulingOptions fills what is not given, undefined included, from the defaults", () => {
  const options = schedulingOptions({ maxResident: 10, idleMs: undefined });
  assert.equal(options.maxResident, 10);
  assert.equal(options.idleMs, SCHEDULING_DEFAULTS.idleMs);
  assert.deepEqual(schedulingOptions(), SCHEDULING_DEFAULTS);
});
