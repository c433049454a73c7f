import assert from "node:assert/strict";
import { threadCpuSplit, threadCpuTotal } from "./thread_cpu.ts";

Deno.test({
  name: "threadCpuSplit() leaves out a process that exits meanwhile and names it as gone",
  ignore: Deno.build.os !== "linux", // reads /proc
  async fn() {
    // A child that burns CPU until killed: read while alive, gone at the end.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "console.log('up'); for (;;) {}"],
      stdout: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    await reader.read();
    const split = threadCpuSplit({ host: [Deno.pid], sandboxes: [child.pid] });
    await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();

    const us = split.perEventUs(1);
    assert.deepEqual(split.gone(), { sandboxes: [child.pid] });
    for (const kind of ["main", "workers", "v8", "runtime"] as const) {
      assert.equal(us.sandboxes[kind], 0, `sandboxes.${kind}`);
    }
    assert.ok(us.host.main >= 0);
  },
});

Deno.test("threadCpuSplit() names no process gone while all of them run", () => {
  const split = threadCpuSplit({ host: [Deno.pid] });
  split.perEventUs(1);
  assert.deepEqual(split.gone(), {});
});

Deno.test("threadCpuTotal sums a split's threads to a tenth", () => {
  assert.equal(threadCpuTotal({ main: 9.1, workers: 0, v8: 1.2, runtime: 0.8 }), 11.1);
  assert.equal(threadCpuTotal({ main: 0.04, workers: 0.04, v8: 0, runtime: 0 }), 0.1);
});
