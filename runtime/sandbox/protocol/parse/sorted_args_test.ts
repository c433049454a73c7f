import assert from "node:assert/strict";
import { parseOperationArgs } from "./operation_args.ts";

Deno.test("sorted operation arguments pass when well-formed", () => {
  const incr = parseOperationArgs("sorted.incr", { store: "xp", key: "u1", by: -2.5 });
  assert.deepEqual(incr, { ok: true, args: { store: "xp", key: "u1", by: -2.5 } });
  const range = parseOperationArgs("sorted.range", { store: "xp", min: 1, limit: 10 });
  assert.ok(range.ok);
  assert.deepEqual(
    { ...range.args },
    { store: "xp", min: 1, max: undefined, limit: 10, cursor: undefined },
  );
});

Deno.test("sorted operation arguments are refused with where and why", () => {
  const refuse = (op: string, args: unknown, pattern: RegExp) => {
    const result = parseOperationArgs(op as never, args);
    assert.ok(!result.ok, op);
    assert.match(result.error, pattern);
  };
  refuse("sorted.incr", { store: "xp", key: "k", by: "1" }, /args\.by: expected a finite number/);
  refuse("sorted.set", { store: "xp", key: "k", score: null }, /args\.score/);
  refuse("sorted.top", { store: "xp", n: -1 }, /args\.n: expected an integer/);
  refuse("sorted.score", { store: "flora.tasks", key: "k" }, /args\.store: .*reserved/);
  refuse("sorted.range", { store: "xp", min: NaN }, /args\.min: expected a number/);
  refuse("sorted.rank", { store: "xp", key: "" }, /args\.key: length must be 1–512/);
});
