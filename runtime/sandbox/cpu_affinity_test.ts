import assert from "node:assert/strict";
import {
  allowedCpus,
  CpuAffinityError,
  cpuListText,
  parseCpuList,
  pinnedCommand,
  pinProcess,
  placeSandboxes,
  threadCpus,
} from "./cpu_affinity.ts";

const linux = Deno.build.os === "linux";

Deno.test("parseCpuList reads numbers and ranges, and cpuListText writes them back", () => {
  assert.deepEqual(parseCpuList("1"), [1]);
  assert.deepEqual(parseCpuList("0,2,4-6"), [0, 2, 4, 5, 6]);
  assert.deepEqual(parseCpuList(" 5-6, 1 ,5 "), [1, 5, 6]);
  assert.equal(cpuListText([0, 2, 4, 5, 6]), "0,2,4-6");
  assert.equal(cpuListText([3]), "3");
  assert.equal(cpuListText([]), "");
});

Deno.test("parseCpuList refuses what is not a CPU list, saying what to write", () => {
  for (const bad of ["", "one", "1;2", "-1", "1-", "2,,3", "1.5", "0x1"]) {
    assert.throws(() => parseCpuList(bad), /is not a CPU list: write CPU numbers and ranges/, bad);
  }
  assert.throws(() => parseCpuList("3-1"), /ends before it starts/);
  assert.throws(() => parseCpuList("0-5000"), /past the largest CPU number/);
});

Deno.test({
  name: "placeSandboxes gives the host the CPUs the sandboxes do not take, and refuses others",
  ignore: !linux,
  fn() {
    const allowed = allowedCpus()!;
    const placed = placeSandboxes(String(allowed.at(-1)));
    assert.deepEqual(placed.sandboxes, [allowed.at(-1)]);
    assert.deepEqual(placed.host, allowed.slice(0, -1));
    assert.match(placed.taskset, /\/taskset$/);
    const outside = Math.max(...allowed) + 1;
    assert.throws(
      () => placeSandboxes(`${outside}`),
      (error: Error) =>
        error instanceof CpuAffinityError &&
        error.message.includes(`names CPU ${outside}`) &&
        error.message.includes(`it may use CPUs ${cpuListText(allowed)}`),
    );
  },
});

/** Starts a Deno child that starts a Web Worker (threads of every kind) and waits. */
function childWithThreads(command: string, args: string[]): Deno.ChildProcess {
  const worker = "new Worker(URL.createObjectURL(new Blob(['setInterval(() => {}, 1000)'], " +
    "{ type: 'application/javascript' })), { type: 'module' }); " +
    "console.log('ready'); setTimeout(() => {}, 60_000);";
  return new Deno.Command(command, {
    args: [...args, "eval", worker],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

async function untilReady(child: Deno.ChildProcess): Promise<void> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the child exited before it was ready");
    text += value;
  }
  reader.releaseLock();
}

/** Waits until `pid` has a Web Worker thread, and returns its threads then. */
async function threadsWithWorker(pid: number) {
  const deadline = Date.now() + 10_000;
  let threads = await threadCpus(pid);
  while (!threads.some((t) => t.name.startsWith("worker-")) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    threads = await threadCpus(pid);
  }
  assert.ok(threads.some((t) => t.name.startsWith("worker-")), JSON.stringify(threads));
  return threads;
}

Deno.test({
  name: "pinnedCommand starts a process whose every thread, workers too, runs on its CPUs",
  ignore: !linux || allowedCpus()!.length < 2,
  async fn() {
    const { taskset } = placeSandboxes("0");
    const target = [allowedCpus()!.at(-1)!];
    const [command, args] = pinnedCommand(taskset, target, Deno.execPath(), []);
    const child = childWithThreads(command, args);
    try {
      await untilReady(child);
      const threads = await threadsWithWorker(child.pid);
      assert.deepEqual(threads.filter((t) => t.cpus.join() !== target.join()), []);
    } finally {
      child.kill();
      await child.status;
    }
  },
});

Deno.test({
  name: "pinProcess moves every thread a process has already started",
  ignore: !linux || allowedCpus()!.length < 2,
  async fn() {
    const { taskset } = placeSandboxes("0");
    const child = childWithThreads(Deno.execPath(), []);
    try {
      await untilReady(child);
      const before = await threadsWithWorker(child.pid);
      assert.ok(before.every((t) => t.cpus.length > 1), "the child starts on every CPU");
      await pinProcess(taskset, child.pid, [0]);
      const after = await threadCpus(child.pid);
      assert.deepEqual(after.filter((t) => t.cpus.join() !== "0"), []);
    } finally {
      child.kill();
      await child.status;
    }
  },
});

Deno.test({
  name: "pinProcess says why it could not move a process",
  ignore: !linux,
  async fn() {
    const { taskset } = placeSandboxes("0");
    const gone = new Deno.Command(Deno.execPath(), { args: ["eval", ""] }).spawn();
    await gone.status;
    await assert.rejects(
      () => pinProcess(taskset, gone.pid, [0]),
      new RegExp(`taskset could not move process ${gone.pid} to CPUs 0: .+`),
    );
  },
});
