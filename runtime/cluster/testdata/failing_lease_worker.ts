/**
 * The lease keeper's worker, failing on purpose: a request to take the lease
 * named `fail` throws out of its message handler, which ends the worker as any
 * uncaught error would (`lease_keeper_test.ts`).
 *
 * @module
 */

import "../lease_keeper_worker.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ op: string; name?: string }>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
const handle = scope.onmessage!;
scope.onmessage = (event) => {
  if (event.data.op === "acquire" && event.data.name === "fail") {
    throw new Error("the lease keeper's worker failed (test)");
  }
  handle(event);
};
