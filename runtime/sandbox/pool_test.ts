import assert from "node:assert/strict";
import { getPriority } from "node:os";
import { type PoolListener, type PoolOptions, SandboxPool, ScriptRefused } from "./pool.ts";
import { type EventsDoneMessage, PROTOCOL_VERSION, startedAtOf } from "./protocol/mod.ts";
import { bundleWorkerRuntime } from "./worker_bundle.ts";
import { SANDBOX_V8_DEFAULTS } from "./v8_flags.ts";
import { threadNiceness } from "./process_priority.ts";
import { allowedCpus, placeSandboxes, threadCpus } from "./cpu_affinity.ts";

const runtime = bundleWorkerRuntime();

/** Runs `fn` with a started one-process pool, closed afterwards. */
async function withPool(
  options: Partial<PoolOptions>,
  listener: PoolListener,
  fn: (pool: SandboxPool) => Promise<void>,
): Promise<void> {
  const pool = new SandboxPool({
    processes: 1,
    heapMb: 128,
    limits: { eventTimeoutMs: 5_000, loadTimeoutMs: 5_000 },
    workerRuntime: await runtime,
    ...options,
  }, listener);
  await pool.start();
  try {
    await fn(pool);
  } finally {
    await pool.close();
  }
}

const ignore: PoolListener = { workerMessage: () => {}, workerExit: () => {} };

/** Loads `code` as guild `guildId`'s deployment d1 in `pool`. */
function spawnGuild(
  pool: SandboxPool,
  code: string,
  guildId = "100000000000000001",
): Promise<void> {
  const key = { guildId, deploymentId: "d1" };
  return pool.spawn(key, {
    v: PROTOCOL_VERSION,
    type: "load",
    guildId: key.guildId,
    deploymentId: key.deploymentId,
    entry: "main.ts",
    code,
  });
}

for (const transport of ["unix", "stdio"] as const) {
  Deno.test(`a worker loads and answers over ${transport}`, async () => {
    const said: unknown[] = [];
    let heard: () => void;
    const loaded = new Promise<void>((resolve) => (heard = resolve));
    const listener: PoolListener = {
      workerMessage: (_key, message) => {
        said.push(message);
        heard();
      },
      workerExit: () => {},
    };
    await withPool({ transport }, listener, async (pool) => {
      await spawnGuild(pool, `on("messageCreate", () => {});`);
      await loaded;
      assert.equal((said[0] as { type: string }).type, "loaded");
    });
  });
}

/** The V8 flags a sandbox process of a pool started with `options` runs with. */
async function v8FlagsOf(options: Partial<PoolOptions>): Promise<string> {
  let flags = "";
  await withPool(options, ignore, async (pool) => {
    const cmdline = await Deno.readTextFile(`/proc/${pool.pids()[0]}/cmdline`);
    flags = cmdline.split("\0").find((a) => a.startsWith("--v8-flags=")) ?? "";
  });
  return flags;
}

Deno.test({
  name: "sandbox processes run with flora's V8 flags, the memory reducer off unless asked for",
  ignore: Deno.build.os !== "linux", // reads /proc
  async fn() {
    const defaults = SANDBOX_V8_DEFAULTS.map((flag) => `,${flag}`).join("");
    assert.equal(
      await v8FlagsOf({}),
      "--v8-flags=--max-old-space-size=128,--disallow-code-generation-from-strings," +
        `--no-memory-reducer${defaults}`,
    );
    assert.equal(
      await v8FlagsOf({ memoryReducer: true, v8Flags: ["--max-lazy"] }),
      `--v8-flags=--max-old-space-size=128,--disallow-code-generation-from-strings${defaults}` +
        ",--max-lazy",
    );
  },
});

Deno.test("the pool refuses to start with a V8 flag V8 does not know", async () => {
  await assert.rejects(
    withPool({ v8Flags: ["--no-such-flag-here"] }, ignore, () => Promise.resolve()),
    /V8 refused the sandbox's flags --no-such-flag-here: .*--no-such-flag-here/,
  );
});

/** Resident KiB of a process's mappings of the Deno binary (`/proc/<pid>/smaps`). */
async function binaryRssKiB(pid: number): Promise<number> {
  let kib = 0;
  let binary = false;
  for (const line of (await Deno.readTextFile(`/proc/${pid}/smaps`)).split("\n")) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) binary = header[1] === Deno.execPath();
    else if (binary) kib += Number(/^Rss:\s+(\d+) kB/.exec(line)?.[1] ?? 0);
  }
  return kib;
}

/** How much of the Deno binary a sandbox process has resident once it runs 8 workers, KiB. */
async function binaryKiBWith8Workers(options: Partial<PoolOptions>): Promise<number> {
  let kib = 0;
  let loaded = 0;
  const listener: PoolListener = {
    workerMessage: (_key, message) => {
      if ((message as { type: string }).type === "loaded") loaded++;
    },
    workerExit: () => {},
  };
  await withPool(options, listener, async (pool) => {
    for (let i = 0; i < 8; i++) {
      const guildId = String(100000000000000010n + BigInt(i));
      await spawnGuild(pool, `on("messageCreate", () => {});`, guildId);
    }
    const deadline = Date.now() + 10_000;
    while (loaded < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    kib = await binaryRssKiB(pool.pids()[0]!);
  });
  return kib;
}

Deno.test({
  name: "the workers share the binary's builtins: no copy per isolate (--no-short-builtin-calls)",
  ignore: Deno.build.os !== "linux", // reads /proc
  async fn() {
    // With a heap limit of 2 GiB or more (the benches run with 4 GiB), V8's default maps the
    // embedded builtins (≈ 1.8 MiB resident) into each isolate's code range.
    const copied = await binaryKiBWith8Workers({
      heapMb: 4096,
      v8Flags: ["--short-builtin-calls"],
    });
    const shared = await binaryKiBWith8Workers({ heapMb: 4096 });
    assert.ok(copied - shared > 8 * 1024, `flora's default: ${shared} KiB, V8's: ${copied} KiB`);
  },
});

/**
 * The process's threads, read with `read` once a Web Worker thread is among them: the
 * worker's thread starts as the process takes the spawn, after `spawn` resolves.
 */
async function onceWorkerStarted<T extends { name: string }>(
  read: () => Promise<T[]>,
): Promise<T[]> {
  const deadline = Date.now() + 10_000;
  let threads = await read();
  while (!threads.some((t) => t.name.startsWith("worker-")) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    threads = await read();
  }
  assert.ok(threads.some((t) => t.name.startsWith("worker-")), JSON.stringify(threads));
  return threads;
}

Deno.test({
  name: "every thread of a sandbox process runs on the pool's CPUs: workers, V8's helpers",
  ignore: Deno.build.os !== "linux" || (allowedCpus()?.length ?? 0) < 2, // reads /proc
  async fn() {
    const cpus = placeSandboxes(String(allowedCpus()!.at(-1)));
    await withPool({ cpus }, ignore, async (pool) => {
      await spawnGuild(pool, "");
      const threads = await onceWorkerStarted(() => threadCpus(pool.pids()[0]!));
      const elsewhere = threads.filter((t) => t.cpus.join() !== cpus.sandboxes.join());
      assert.deepEqual(elsewhere, [], "threads that may run on other CPUs");
    });
  },
});

Deno.test({
  name: "every thread of a sandbox process runs at the pool's niceness: workers, V8's helpers",
  ignore: Deno.build.os !== "linux", // reads /proc
  async fn() {
    await withPool({ nice: 7 }, ignore, async (pool) => {
      await spawnGuild(pool, "");
      const threads = await onceWorkerStarted(() => threadNiceness(pool.pids()[0]!));
      assert.ok(threads.some((t) => t.name.startsWith("V8 ")), JSON.stringify(threads));
      assert.deepEqual(threads.filter((t) => t.nice !== 7), [], "threads at another niceness");
    });
    // Unset, the pool leaves the processes at the host's own niceness.
    const own = getPriority();
    await withPool({}, ignore, async (pool) => {
      await spawnGuild(pool, "");
      const threads = await threadNiceness(pool.pids()[0]!);
      assert.deepEqual(threads.filter((t) => t.nice !== own), [], `threads not at ${own}`);
    });
  },
});

/** How deep a guild's script can recurse in a pool started with `options`. */
async function recursionDepth(options: Partial<PoolOptions>): Promise<number> {
  let depth = 0;
  const listener: PoolListener = {
    workerMessage: (_key, message) => {
      const said = message as { type: string; message?: string };
      if (said.type === "log") depth = Number(said.message);
    },
    workerExit: () => {},
  };
  await withPool(options, listener, async (pool) => {
    await spawnGuild(
      pool,
      `let depth = 0;
      const down = () => { depth++; down(); };
      try { down(); } catch { console.log(String(depth)); }`,
    );
    const deadline = Date.now() + 10_000;
    while (depth === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  });
  return depth;
}

Deno.test("the workers run with the operator's V8 flags (a smaller stack: shallower recursion)", async () => {
  const usual = await recursionDepth({});
  const small = await recursionDepth({ v8Flags: ["--stack-size=100"] });
  assert.ok(usual > 0 && small > 0, `${usual}, ${small}`);
  // V8's default is 984 KiB: a tenth of it leaves well under half the depth.
  assert.ok(small < usual / 2, `${small} frames with --stack-size=100, ${usual} without`);
});

Deno.test("the pool refuses to start a script that imports a module", async () => {
  await withPool({}, ignore, async (pool) => {
    const key = { guildId: "100000000000000001", deploymentId: "d1" };
    const load = {
      v: PROTOCOL_VERSION,
      type: "load" as const,
      guildId: key.guildId,
      deploymentId: key.deploymentId,
      entry: "main.ts",
      code: `import os from "node:os";\nconsole.log(os);`,
    };
    await assert.rejects(pool.spawn(key, load), (e: Error) => {
      assert.ok(e instanceof ScriptRefused);
      assert.match(e.message, /imports "node:os" \(line 1\)/);
      return true;
    });
  });
});

Deno.test("a sandbox process reports its memory with its heartbeat", async () => {
  await withPool({}, ignore, async (pool) => {
    const deadline = Date.now() + 10_000;
    while (pool.memory()[0] === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const memory = pool.memory()[0];
    assert.ok(memory, "no heartbeat with memory figures in 10 s");
    assert.ok(memory.rss > memory.heapTotal, JSON.stringify(memory));
    assert.ok(memory.heapTotal >= memory.heapUsed && memory.heapUsed > 0, JSON.stringify(memory));
    assert.equal(memory.workersHeapUsed + memory.workersHeapTotal, 0); // no worker yet
  });
});

Deno.test("a sandbox process's heartbeat sums the heaps its workers' pongs report", async () => {
  await withPool({}, ignore, async (pool) => {
    await spawnGuild(pool, `globalThis.kept = new Array(100_000).fill("x");`);
    const deadline = Date.now() + 10_000;
    while (!pool.memory()[0]?.workersHeapUsed && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const memory = pool.memory()[0];
    assert.ok(memory?.workersHeapUsed, "no worker's heap in a heartbeat in 10 s");
    // The worker holds an 800 KB array: its isolate's heap, not a zero or the process's RSS.
    assert.ok(memory.workersHeapUsed > 800_000, JSON.stringify(memory));
    assert.ok(memory.workersHeapTotal >= memory.workersHeapUsed, JSON.stringify(memory));
    assert.ok(memory.workersHeapTotal < memory.rss, JSON.stringify(memory));
  });
});

Deno.test("a worker's finished events come from its process as eventsDone reports", async () => {
  const said: { type: string; ids?: number[]; done?: EventsDoneMessage }[] = [];
  let heard = () => {};
  const listener: PoolListener = {
    workerMessage: (_key, message) => {
      said.push(message as { type: string });
      heard();
    },
    workerExit: () => {},
    eventsStarted: (_key, ids) => said.push({ type: "eventsStarted", ids: [...ids] }),
    eventsDone: (_key, done) => {
      said.push({ type: "eventsDone", done });
      heard();
    },
  };
  const until = async (what: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!what()) {
      assert.ok(Date.now() < deadline, `not heard in 10 s: ${JSON.stringify(said)}`);
      await new Promise<void>((resolve) => {
        heard = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  await withPool({}, listener, async (pool) => {
    await spawnGuild(
      pool,
      `on("messageCreate", (m) => { if (m.content === "throw") throw new Error("boom"); });`,
    );
    await until(() => said.some((m) => m.type === "loaded"));
    const key = { guildId: "100000000000000001", deploymentId: "d1" };
    const event = (id: number, content: string) => ({
      id,
      name: "messageCreate" as const,
      payload: { id: String(id), channel_id: "2", guild_id: key.guildId, content },
    });
    const sentAt = performance.timeOrigin + performance.now();
    await pool.send(key, {
      v: PROTOCOL_VERSION,
      type: "events",
      events: [event(1, "a"), event(2, "throw"), event(3, "c")],
      lastQueued: true,
    });
    // A worker reports progress after 5 ms, so a slow machine may split the batch's report.
    const dones = () => said.filter((m) => m.type === "eventsDone").map((m) => m.done!);
    await until(() => dones().flatMap((d) => d.ids).length >= 3);
    const reports = said.filter((m) => m.type !== "loaded" && m.type !== "log");
    assert.deepEqual(reports[0], { type: "eventsStarted", ids: [1, 2, 3] });
    assert.ok(reports.slice(1).every((m) => m.type === "eventsDone"), JSON.stringify(reports));
    assert.deepEqual(dones().flatMap((d) => d.ids), [1, 2, 3]);
    assert.equal(dones().reduce((n, d) => n + d.errors, 0), 1);
    const last = dones().at(-1)!;
    assert.equal(typeof last.cpuMs, "number", "the batch emptied the queue: its CPU is reported");
    const starts = dones().flatMap((d) => d.ids.map((_, i) => startedAtOf(d, i)!));
    assert.ok(starts[0] >= sentAt - 1 && starts[0] <= performance.timeOrigin + performance.now());
    assert.ok(starts[0] <= starts[1] && starts[1] <= starts[2], JSON.stringify(starts));
  });
});
