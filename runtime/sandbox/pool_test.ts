import assert from "node:assert/strict";
import { SandboxPool } from "./pool.ts";
import { bundleWorkerRuntime } from "./worker_bundle.ts";

/** The V8 flags a sandbox process of a pool started with `memoryReducer` runs with. */
async function v8FlagsOf(memoryReducer: boolean | undefined): Promise<string> {
  const pool = new SandboxPool({
    processes: 1,
    heapMb: 128,
    memoryReducer,
    limits: { eventTimeoutMs: 5_000, loadTimeoutMs: 5_000 },
    workerRuntime: await bundleWorkerRuntime(),
  }, { workerMessage: () => {}, workerExit: () => {} });
  await pool.start();
  try {
    const cmdline = await Deno.readTextFile(`/proc/${pool.pids()[0]}/cmdline`);
    return cmdline.split("\0").find((a) => a.startsWith("--v8-flags=")) ?? "";
  } finally {
    await pool.close();
  }
}

Deno.test({
  name: "sandbox processes run without V8's memory reducer unless asked for it",
  ignore: Deno.build.os !== "linux", // reads /proc
  async fn() {
    assert.equal(
      await v8FlagsOf(undefined),
      "--v8-flags=--max-old-space-size=128,--no-memory-reducer",
    );
    assert.equal(await v8FlagsOf(true), "--v8-flags=--max-old-space-size=128");
  },
});
