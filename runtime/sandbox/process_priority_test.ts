import assert from "node:assert/strict";
import { setPriority } from "node:os";
import { lowerPriority, threadNiceness } from "./process_priority.ts";

/** A Deno process with its threads started (V8's, the I/O runtime's, a worker's). */
async function startedChild(): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `new Worker("data:text/javascript,setInterval(() => {}, 1000)", { type: "module" });
      console.log("up"); setTimeout(() => {}, 30000);`,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  await reader.read(); // "up": the runtime and the worker have started their threads
  reader.releaseLock();
  return child;
}

Deno.test({
  name: "lowerPriority() reaches the threads a process started before it was called",
  ignore: Deno.build.os !== "linux", // reads /proc
  async fn() {
    const child = await startedChild();
    try {
      // The main thread alone, as setPriority(pid) does: its threads keep the old niceness.
      setPriority(child.pid, 3);
      const before = await threadNiceness(child.pid);
      assert.ok(before.length > 1 && before.some((t) => t.nice !== 3), JSON.stringify(before));

      lowerPriority(child.pid, 5);
      const after = await threadNiceness(child.pid);
      assert.ok(after.some((t) => t.name.startsWith("V8 ")), JSON.stringify(after));
      assert.deepEqual(after.filter((t) => t.nice !== 5), [], "threads at another niceness");
    } finally {
      child.kill();
      await child.status;
      await child.stdout.cancel().catch(() => {});
    }
  },
});

Deno.test("lowerPriority() of a process that has exited throws, as setPriority does", async () => {
  const child = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).spawn();
  await child.status;
  assert.throws(() => lowerPriority(child.pid, 5));
});
