import assert from "node:assert/strict";
import { checkCronExpression } from "./cron.ts";

Deno.test("five-field cron expressions are accepted with lists, ranges, steps and names", () => {
  for (
    const ok of [
      "* * * * *",
      "*/5 * * * *",
      "0 9 * * mon-fri",
      "0,30 8-18/2 1 jan,jul sun",
      "0 0 1 * 7",
    ]
  ) {
    assert.equal(checkCronExpression(ok), ok);
  }
  assert.equal(checkCronExpression("  0   9 * * *  "), "0 9 * * *");
});

Deno.test("bad cron expressions say which field is wrong", () => {
  assert.throws(() => checkCronExpression("* * * *"), /has 4 fields; use five/);
  assert.throws(
    () => checkCronExpression("0 24 * * *"),
    /hour field "24" is invalid \(24 is outside 0-23\)/,
  );
  assert.throws(() => checkCronExpression("*/0 * * * *"), /step "0" must be a positive number/);
  assert.throws(() => checkCronExpression("0 0 0 * *"), /day of month field "0"/);
  assert.throws(() => checkCronExpression("0 0 * foo *"), /month field "foo" is invalid/);
  assert.throws(() => checkCronExpression("5-1 * * * *"), /range "5-1" is backwards/);
});
