/**
 * The floor under a sandbox worker's cost per batch: what one message to a
 * Web Worker and one back cost the worker's thread and the posting thread,
 * with none of flora's code. `--workers=N` workers (1,000) each keep one
 * message in flight (every message a wake-up of a thread that went back to
 * sleep); the worker answers at once. CPU is read per thread from `/proc`. It also prints
 * the resident memory each started worker adds and the wall time to start (and, for
 * `flora`, load) one, over the warm-up.
 *
 * Flags: `--workers=N`, `--messages=N` (50,000), `--burst=K` (1: K messages
 * posted to a worker at once, answered after the K-th, to see what a queued
 * message costs once its thread is awake), `--work=bare|parse|cpu|node|flora` (bare: echo;
 * parse: the message carries an 800-byte JSON text the worker parses;
 * cpu: the worker also reads its thread's CPU time, as flora's `done` does;
 * node: a bare echo that imports `node:process` and never uses it (what Deno's Node
 * compatibility layer, loaded into the isolate, adds to a wake-up);
 * flora: flora's worker runtime running the bench script, handed batches of
 * K `messageCreate` events as the sandbox process hands them, no watchdog).
 *
 * Memory: the process's RSS before the workers start, after the warm-up and
 * after the run, per worker (and its anonymous part, `smaps_memory.ts`); in
 * flora mode also each worker's V8 heap (used / total) and new space (young
 * generation: committed / used), averaged, from a bench-only probe prepended to
 * the runtime bundle. V8 flags under test go on the command line
 * (`deno run --v8-flags=...`): every isolate in the process gets them, as in a
 * sandbox process. Without `--max-old-space-size` V8's heap limit here is
 * ≈ 4 GiB, so each isolate copies the builtins (≈ 1.8 MiB of RSS, shared
 * pages) unless `--no-short-builtin-calls`, as the sandbox processes run.
 *
 *   deno run -A --unstable-bundle --unstable-worker-options bench/worker_wake.ts --work=flora
 *
 * @module
 */

import { threadCpuOf } from "./thread_cpu.ts";
import { smapsMemory } from "./smaps_memory.ts";
import { rssOf } from "./stats.ts";
import { BENCH_SCRIPT } from "./flora_bench.ts";
import { bundleWorkerRuntime } from "../runtime/sandbox/worker_bundle.ts";
import { PROTOCOL_VERSION } from "../runtime/sandbox/protocol/mod.ts";

const flag = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const WORKERS = Number(flag("workers") ?? 1_000);
const MESSAGES = Number(flag("messages") ?? 50_000);
const BURST = Number(flag("burst") ?? 1);
const WORK = flag("work") ?? "bare";

const WORKER_CODE = `${WORK === "node" ? 'import "node:process";' : ""}
const usage = ${
  // Only in cpu mode: touching \`process\` may bring in the Node layer the node mode measures.
  WORK === "cpu" ? "globalThis.process.threadCpuUsage.bind(globalThis.process)" : "undefined"};
let seen = 0;
onmessage = (event) => {
  const m = event.data;
  ${WORK === "parse" ? "JSON.parse(m.frame);" : ""}
  if (++seen < m.burst) return;
  seen = 0;
  postMessage({ id: m.id${WORK === "cpu" ? ", cpu: usage()" : ""} });
};
`;

const FRAME = JSON.stringify({
  op: 0,
  t: "MESSAGE_CREATE",
  s: 1,
  d: {
    id: "1".repeat(18),
    channel_id: "2".repeat(18),
    guild_id: "3".repeat(18),
    content: "x".repeat(300),
    author: { id: "4".repeat(18), username: "someone", discriminator: "0", avatar: null },
    timestamp: new Date().toISOString(),
    mentions: [],
    attachments: [],
    embeds: [],
  },
}).padEnd(800, " ");

/**
 * Prepended to the runtime bundle in flora mode: answers `benchHeap` with the
 * isolate's heap figures (the runtime ignores messages without its protocol version).
 */
const PROBE = `
import * as benchV8 from "node:v8";
// Bound now: the runtime hardens the worker's scope before the probe is asked.
const benchPost = globalThis.postMessage.bind(globalThis);
globalThis.addEventListener("message", (event) => {
  if (event.data?.type !== "benchHeap") return;
  const heap = benchV8.getHeapStatistics();
  const young = benchV8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  benchPost({
    type: "benchHeap",
    used: heap.used_heap_size,
    total: heap.total_heap_size,
    newSpace: young?.space_size ?? 0,
    newUsed: young?.space_used_size ?? 0,
  });
});
`;

const FLORA = WORK === "flora";
const anonOf = () => {
  const smaps = smapsMemory(Deno.pid);
  return smaps ? smaps.anonOther + smaps.mallocArenas + smaps.brkHeap : NaN;
};
const url = URL.createObjectURL(
  new Blob([FLORA ? PROBE + await bundleWorkerRuntime() : WORKER_CODE], {
    type: "application/javascript",
  }),
);
const workers: Worker[] = [];
let sent = 0;
let answered = 0;
let finish: () => void;
const done = new Promise<void>((resolve) => finish = resolve);

function post(worker: Worker): void {
  if (FLORA) {
    const events = [];
    for (let i = 0; i < BURST; i++) {
      events.push({ id: sent++, name: "messageCreate", frame: FRAME });
    }
    worker.postMessage({ v: PROTOCOL_VERSION, type: "events", events });
    return;
  }
  for (let i = 0; i < BURST; i++) {
    worker.postMessage(
      WORK === "parse" ? { id: sent++, burst: BURST, frame: FRAME } : { id: sent++, burst: BURST },
    );
  }
}

const baseRss = rssOf(Deno.pid);
const baseAnon = anonOf();
const warmStart = performance.now();
for (let i = 0; i < WORKERS; i++) {
  const worker = new Worker(
    url,
    FLORA ? { type: "module", deno: { permissions: "none" } } : {
      type: "module",
    },
  );
  let pending = 0;
  worker.onmessage = (event) => {
    if (FLORA) {
      // A batch may be reported in several `done`s: the next goes once all are in.
      pending += event.data.events.length;
      if (pending < BURST) return;
      pending = 0;
    }
    answered += BURST;
    if (sent < MESSAGES) post(worker);
    else if (answered >= MESSAGES) finish();
  };
  workers.push(worker);
}
// Warm up: one round trip each, so every isolate has started.
await Promise.all(workers.map((w) =>
  new Promise<void>((resolve) => {
    const handler = w.onmessage;
    w.onmessage = () => {
      w.onmessage = handler;
      resolve();
    };
    if (FLORA) {
      w.postMessage({
        v: PROTOCOL_VERSION,
        type: "load",
        guildId: "1",
        deploymentId: "1",
        entry: "bench.js",
        code: BENCH_SCRIPT,
      });
    } else w.postMessage({ id: -1, burst: 1, frame: FRAME });
  })
));

// How long starting and loading each isolate took.
const warmMsPerWorker = (performance.now() - warmStart) / WORKERS;
interface HeapFigures {
  used: number;
  total: number;
  newSpace: number;
  newUsed: number;
}

/** Each flora worker's heap figures, averaged (KiB); null in the bare modes. */
async function meanHeap(): Promise<HeapFigures | null> {
  if (!FLORA) return null;
  const sum: HeapFigures = { used: 0, total: 0, newSpace: 0, newUsed: 0 };
  await Promise.all(workers.map((w) =>
    new Promise<void>((resolve) => {
      const handler = w.onmessage;
      w.onmessage = (event) => {
        if (event.data?.type !== "benchHeap") return;
        w.onmessage = handler;
        for (const k of Object.keys(sum) as (keyof HeapFigures)[]) sum[k] += event.data[k];
        resolve();
      };
      w.postMessage({ type: "benchHeap" });
    })
  ));
  for (const k of Object.keys(sum) as (keyof HeapFigures)[]) {
    sum[k] = Math.round(sum[k] / workers.length / 1024);
  }
  return sum;
}

/** The process's memory per worker over what it held before the workers, KiB. */
async function memory() {
  const perWorker = (now: number, base: number) => Math.round((now - base) / WORKERS / 1024);
  return {
    rssKiB: perWorker(rssOf(Deno.pid), baseRss),
    anonKiB: perWorker(anonOf(), baseAnon),
    heapKiB: await meanHeap(),
  };
}

const warm = await memory();
const before = threadCpuOf(Deno.pid);
const startedAt = performance.now();
for (const worker of workers) if (sent < MESSAGES) post(worker);
await done;
const seconds = (performance.now() - startedAt) / 1000;
const after = threadCpuOf(Deno.pid);
const ran = await memory();
const us = (k: "main" | "workers" | "v8" | "runtime") =>
  Math.round(((after[k] - before[k]) / sent) * 1e7) / 10;
const wakes = sent / BURST;
console.log(JSON.stringify({
  workers: WORKERS,
  work: WORK,
  burst: BURST,
  messages: sent,
  perSec: Math.round(sent / seconds),
  usPerMessage: { main: us("main"), workers: us("workers"), v8: us("v8"), runtime: us("runtime") },
  rssPerWorkerMb: Math.round(warm.rssKiB / 1024 * 100) / 100,
  warmMsPerWorker: Math.round(warmMsPerWorker * 100) / 100,
  workerUsPerWake: Math.round(((after.workers - before.workers) / wakes) * 1e7) / 10,
  load: Deno.loadavg().map((l) => l.toFixed(1)).join(" "),
  perWorkerAfterWarmUp: warm,
  perWorkerAfterRun: ran,
}));
for (const worker of workers) worker.terminate();
Deno.exit(0);
