import assert from "node:assert/strict";
import { MemoryLogBuffer } from "../logs.ts";
import { RateLimitedLogSink } from "./log_limiter.ts";

Deno.test("lines past the budget are dropped with one notice, then counted", () => {
  let now = 0;
  const buffer = new MemoryLogBuffer();
  const sink = new RateLimitedLogSink(buffer, { lines: 3, windowMs: 1_000 }, () => now);
  for (let i = 0; i < 10; i++) sink.append("g", "info", `line ${i}`);
  sink.append("other", "info", "neighbour");
  const lines = buffer.recent("g").map((l) => l.message);
  assert.deepEqual(lines.slice(0, 3), ["line 0", "line 1", "line 2"]);
  assert.equal(lines.length, 4);
  assert.match(lines[3], /more than 3 lines in 1 s; further lines are dropped/);
  assert.deepEqual(buffer.recent("other").map((l) => l.message), ["neighbour"]);

  now = 1_000;
  sink.append("g", "info", "next window");
  const after = buffer.recent("g").map((l) => l.message).slice(4);
  assert.match(after[0], /7 log lines were dropped/);
  assert.equal(after[1], "next window");
});
