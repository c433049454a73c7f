import assert from "node:assert/strict";
import { processMemoryOf } from "./process_messages.ts";

Deno.test("processMemoryOf keeps finite non-negative figures and refuses anything else", () => {
  const figures = { rss: 100, heapUsed: 20, workersHeapUsed: 30 };
  assert.deepEqual(processMemoryOf({ ...figures, extra: 1 }), figures);
  assert.equal(processMemoryOf(undefined), null);
  assert.equal(processMemoryOf({ ...figures, rss: "100" }), null);
  assert.equal(processMemoryOf({ ...figures, heapUsed: -1 }), null);
  assert.equal(processMemoryOf({ ...figures, workersHeapUsed: Infinity }), null);
});
