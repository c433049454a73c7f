import assert from "node:assert/strict";
import { processCpuMs, threadCpuMs, UnexplainedCpu } from "./thread_cpu.ts";

/** Burns `ms` of this thread's CPU time (not wall time: the test machine may be busy). */
function burn(ms: number): void {
  const start = threadCpuMs()!;
  while (threadCpuMs()! - start < ms) { /* busy */ }
}

/** A permission-less worker that burns `ms` of its own CPU and reports its thread's total. */
function burnInWorker(ms: number): Promise<number> {
  const url = new URL("./thread_cpu.ts", import.meta.url).href;
  const code = `import { threadCpuMs } from ${JSON.stringify(url)};
    const start = threadCpuMs();
    while (threadCpuMs() - start < ${ms}) {}
    self.postMessage(threadCpuMs());`;
  const worker = new Worker(`data:text/javascript,${encodeURIComponent(code)}`, {
    type: "module",
    deno: { permissions: "none" },
  });
  return new Promise<number>((resolve) => {
    worker.onmessage = (event) => {
      worker.terminate();
      resolve(event.data);
    };
  });
}

Deno.test("this thread's and the process's CPU time grow with work", () => {
  const thread = threadCpuMs();
  const process = processCpuMs();
  assert.equal(typeof thread, "number");
  assert.equal(typeof process, "number");
  burn(100);
  const threadGrew = threadCpuMs()! - thread!;
  const processGrew = processCpuMs()! - process!;
  assert.ok(threadGrew >= 100, `thread: ${threadGrew} ms`);
  // The thread's time is two counters of 10 ms clock ticks (user, system), each rounded
  // down, so it may run up to 20 ms ahead of the process's precise figure at either end.
  assert.ok(processGrew >= 60, `process: ${processGrew} ms`);
});

Deno.test({
  name: "a worker's CPU shows as unexplained until its report accounts for it",
  // The worker's module graph is loaded over `data:` and `file:` URLs.
  sanitizeResources: false,
  async fn() {
    const meter = new UnexplainedCpu();
    assert.ok(meter.available);
    burn(100); // this thread's own work is never unexplained
    assert.ok(meter.sample(0) < 60, "the main thread's CPU is explained");
    const reported = await burnInWorker(200);
    assert.ok(reported >= 200, `the worker reports its own thread: ${reported} ms`);
    const unexplained = meter.sample(0);
    assert.ok(unexplained >= 150, `a busy worker nobody accounted for: ${unexplained} ms`);
    // Two meters over the same interval, one told of the report: other test files running in
    // this process add the same noise to both, so only the report may tell them apart.
    const plain = new UnexplainedCpu();
    const told = new UnexplainedCpu();
    const again = await burnInWorker(200);
    const unexplained2 = plain.sample(0);
    const rest = told.sample(again);
    assert.ok(unexplained2 >= 150, `the second busy worker: ${unexplained2} ms`);
    assert.ok(
      rest <= Math.max(0, unexplained2 - again) + 20,
      `explained by the worker's report: ${rest} ms left of ${unexplained2}`,
    );
  },
});
