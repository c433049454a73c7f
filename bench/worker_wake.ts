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
 * message costs once its thread is awake), `--work=bare|parse|cpu` (bare: echo;
 * parse: the message carries an 800-byte JSON text the worker parses;
 * cpu: the worker also reads its thread's CPU time, as flora's `done` does;
 * flora: flora's worker runtime running the bench script, handed batches of
 * K `messageCreate` events as the sandbox process hands them, no watchdog).
 *
 *   deno run -A --unstable-bundle --unstable-worker-options bench/worker_wake.ts --work=flora
 *
 * @module
 */

import { threadCpuOf } from "./thread_cpu.ts";
import { BENCH_SCRIPT } from "./flora_bench.ts";
import { bundleWorkerRuntime } from "../runtime/sandbox/worker_bundle.ts";
import { PROTOCOL_VERSION } from "../runtime/sandbox/protocol/mod.ts";

const flag = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const WORKERS = Number(flag("workers") ?? 1_000);
const MESSAGES = Number(flag("messages") ?? 50_000);
const BURST = Number(flag("burst") ?? 1);
const WORK = flag("work") ?? "bare";

const WORKER_CODE = `
const usage = globalThis.process?.threadCpuUsage?.bind(globalThis.process);
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

const FLORA = WORK === "flora";
const url = URL.createObjectURL(
  new Blob([FLORA ? await bundleWorkerRuntime() : WORKER_CODE], {
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

const rssBefore = Deno.memoryUsage().rss;
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

// What each started, loaded isolate holds, and how long starting and loading them took.
const warmMsPerWorker = (performance.now() - warmStart) / WORKERS;
const rssPerWorkerMb = (Deno.memoryUsage().rss - rssBefore) / WORKERS / 2 ** 20;
const before = threadCpuOf(Deno.pid);
const startedAt = performance.now();
for (const worker of workers) if (sent < MESSAGES) post(worker);
await done;
const seconds = (performance.now() - startedAt) / 1000;
const after = threadCpuOf(Deno.pid);
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
  rssPerWorkerMb: Math.round(rssPerWorkerMb * 100) / 100,
  warmMsPerWorker: Math.round(warmMsPerWorker * 100) / 100,
  workerUsPerWake: Math.round(((after.workers - before.workers) / wakes) * 1e7) / 10,
  load: Deno.loadavg().map((l) => l.toFixed(1)).join(" "),
}));
for (const worker of workers) worker.terminate();
Deno.exit(0);
