import assert from "node:assert/strict";
import { processMemoryOf } from "./process_messages.ts";

Deno.test("processMemoryOf keeps finite non-negative figures and refuses anything else", () => {
  const figures = {
    rss: 100,
    heapUsed: 20,
    heapTotal: 25,
    workersHeapUsed: 30,
    workersHeapTotal: 40,
  };
  assert.deepEqual(processMemoryOf({ ...figures, extra: 1 }), figures);
  assert.equal(processMemoryOf(undefined), null);
  assert.equal(processMemoryOf({ ...figures, rss: "100" }), null);
  assert.equal(processMemoryOf({ ...figures, heapUsed: -1 }), null);
  assert.equal(processMemoryOf({ rss: 100, heapUsed: 20, workersHeapUsed: 30 }), null);
  assert.equal(processMemoryOf({ ...figures, workersHeapUsed: Infinity }), null);
});
