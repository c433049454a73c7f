import assert from "node:assert/strict";
import { formatArgs } from "./console.ts";
import { MAX_LOG_LINE_CHARS } from "./worker_bounds.ts";

Deno.test("formatArgs joins short arguments as the console does", () => {
  assert.equal(formatArgs(["a", 1, { b: 2 }]), "a 1 { b: 2 }");
});

Deno.test("formatArgs cuts huge arguments to one log line, counting what it cut", () => {
  const line = formatArgs(["x".repeat(100_000), "y".repeat(100_000)]);
  assert.ok(line.startsWith("x".repeat(MAX_LOG_LINE_CHARS) + "…"), line.slice(0, 40));
  assert.ok(line.length < MAX_LOG_LINE_CHARS + 200);
  assert.match(line, new RegExp(`${200_001 - MAX_LOG_LINE_CHARS} more characters cut`));
  const split = formatArgs(["x".repeat(MAX_LOG_LINE_CHARS - 2), "yyyy"]);
  assert.ok(split.startsWith("x".repeat(MAX_LOG_LINE_CHARS - 2) + " y…"), split.slice(-80));
  assert.match(split, /3 more characters cut/);
});
