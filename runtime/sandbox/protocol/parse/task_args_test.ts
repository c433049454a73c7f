import assert from "node:assert/strict";
import { parseOperationArgs } from "./operation_args.ts";

Deno.test("tasks.schedule arguments take at or inMs, a JSON payload and an optional key", () => {
  assert.deepEqual(
    parseOperationArgs("tasks.schedule", { name: "r", inMs: 5, payload: { a: 1 }, key: "k" }),
    { ok: true, args: { name: "r", inMs: 5, payload: { a: 1 }, key: "k" } },
  );
  assert.deepEqual(parseOperationArgs("tasks.cancel", { key: "k" }), {
    ok: true,
    args: { key: "k" },
  });
});

Deno.test("task operation arguments are refused with where and why", () => {
  const refuse = (op: string, args: unknown, pattern: RegExp) => {
    const result = parseOperationArgs(op as never, args);
    assert.ok(!result.ok, op);
    assert.match(result.error, pattern);
  };
  refuse("tasks.schedule", { name: "r", payload: 1 }, /args: give either at \(epoch ms\) or inMs/);
  refuse("tasks.schedule", { name: "r", at: 1, inMs: 2, payload: 1 }, /either at/);
  refuse("tasks.schedule", { name: "", inMs: 1 }, /args\.name: length must be 1–64/);
  refuse("tasks.schedule", { name: "r", inMs: -5 }, /args\.inMs: expected an integer ≥ 0/);
  refuse("tasks.schedule", { name: "r", inMs: 1, payload: Infinity }, /args\.payload/);
  refuse("tasks.cancel", { id: "a", key: "b" }, /args: give either id or key/);
  refuse("tasks.list", { limit: 500 }, /args\.limit: must be 1–100/);
});
