/**
 * `deno task bench:heap`: is a guild worker's growth under load a leak?
 * Runs one worker of the real runtime bundle (as a sandbox process starts
 * it, `permissions: "none"`) with the benchmark script, answers its Discord
 * calls, and feeds it `!ping` messages one at a time, pinging it as the
 * sandbox process does. After a warm-up and after each further block of
 * messages it takes a V8 heap snapshot inside the worker (`node:v8`, which
 * collects garbage first, so it holds only what is still reachable) and
 * prints the isolate's heap statistics and the objects whose count grew,
 * by constructor. `--messages=N` per block (default 10,000), `--blocks=N`
 * (default 2). Not part of `deno task bench` nor of CI.
 *
 * @module
 */

import { PROTOCOL_VERSION } from "../runtime/sandbox/protocol/mod.ts";
import { bundleWorkerRuntime } from "../runtime/sandbox/worker_bundle.ts";
import { BENCH_SCRIPT } from "./flora_bench.ts";
import { groupNodes, growth, type HeapGroups, reachableBytes } from "./heap_snapshot.ts";
import { mib } from "./stats.ts";

function flag(name: string, fallback: number): number {
  const raw = Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  return raw === undefined ? fallback : Number(raw);
}

/**
 * Prepended to the runtime bundle: answers `benchHeap` with the isolate's
 * heap statistics and a heap snapshot. Bench-only; the product's runtime
 * has no such message.
 */
const PROBE = `
import * as benchV8 from "node:v8";
const benchPost = globalThis.postMessage.bind(globalThis);
globalThis.addEventListener("message", async (event) => {
  if (event.data?.type !== "benchHeap") return;
  const before = benchV8.getHeapStatistics();
  // Chunks leave as they come: held here, they would be part of the heap being measured.
  for await (const chunk of benchV8.getHeapSnapshot()) benchPost({ type: "benchHeapChunk", chunk });
  benchPost({ type: "benchHeap", before, after: benchV8.getHeapStatistics() });
});
`;

interface HeapStatistics {
  total_heap_size: number;
  used_heap_size: number;
  external_memory: number;
}

interface HeapReport {
  messages: number;
  /** Before the snapshot's collection: live data plus garbage not yet collected. */
  before: HeapStatistics;
  /** After it: the heap V8 keeps (total). */
  after: HeapStatistics;
  /** Self size of every reachable object, bytes. */
  reachable: number;
  /** Count and self size of reachable objects by `type:constructor`. */
  byConstructor: HeapGroups;
}

const perBlock = flag("messages", 10_000);
const blocks = flag("blocks", 2);
const runtime = PROBE + await bundleWorkerRuntime();
const url = URL.createObjectURL(new Blob([runtime], { type: "application/javascript" }));
const worker = new Worker(url, { type: "module", deno: { permissions: "none" } });

let waiting: { match: (m: Record<string, unknown>) => boolean; resolve(m: unknown): void } | null =
  null;
let replies = 0;
let snapshotText = "";
const decoder = new TextDecoder();
worker.onmessage = (event: MessageEvent<Record<string, unknown>>) => {
  const m = event.data;
  if (m.type === "call") {
    replies++;
    const value = { id: String(1e17 + replies), channel_id: "2", content: "pong" };
    worker.postMessage({ v: PROTOCOL_VERSION, type: "result", callId: m.callId, ok: true, value });
    return;
  }
  if (m.type === "loadFailed") throw new Error(String(m.error));
  if (m.type === "benchHeapChunk") {
    const chunk = m.chunk as string | Uint8Array;
    snapshotText += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    return;
  }
  if (waiting?.match(m)) {
    const w = waiting;
    waiting = null;
    w.resolve(m);
  }
};
worker.onerror = (event) => {
  event.preventDefault();
  console.error(`worker error: ${event.message}`);
  Deno.exit(1);
};

function next<T>(match: (m: Record<string, unknown>) => boolean): Promise<T> {
  return new Promise((resolve) => waiting = { match, resolve: resolve as (m: unknown) => void });
}

const loaded = next((m) => m.type === "loaded");
worker.postMessage({
  v: PROTOCOL_VERSION,
  type: "load",
  guildId: "1",
  deploymentId: "d",
  entry: "bench.js",
  code: BENCH_SCRIPT,
});
await loaded;

let eventId = 0;
/** Sends `count` `!ping`s one at a time, as the sandbox process hands them over. */
async function feed(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const id = ++eventId;
    const done = next((m) => m.type === "done");
    const payload = {
      id: String(1e18 + id),
      channel_id: "2",
      guild_id: "1",
      author: { id: "3", username: "bench" },
      content: "!ping",
      timestamp: new Date().toISOString(),
    };
    worker.postMessage({
      v: PROTOCOL_VERSION,
      type: "events",
      events: [{ id, name: "messageCreate", payload }],
    });
    await done;
    // The sandbox process pings a busy worker every watchdog round (200 ms): often enough.
    if (id % 100 === 0) worker.postMessage({ v: PROTOCOL_VERSION, type: "ping", seq: id });
  }
}

async function report(): Promise<HeapReport> {
  const answer = next<{ before: HeapStatistics; after: HeapStatistics }>((m) =>
    m.type === "benchHeap"
  );
  snapshotText = "";
  worker.postMessage({ type: "benchHeap" });
  const { before, after } = await answer;
  const byConstructor = groupNodes(snapshotText);
  snapshotText = "";
  return {
    messages: eventId,
    before,
    after,
    reachable: reachableBytes(byConstructor),
    byConstructor,
  };
}

function describe(r: HeapReport): string {
  return `after ${r.messages} messages: heap used ${mib(r.before.used_heap_size)} MiB of ` +
    `${mib(r.before.total_heap_size)} before collection; ${mib(r.reachable)} MiB reachable, ` +
    `heap kept ${mib(r.after.total_heap_size)} MiB; external ${mib(r.after.external_memory)} MiB`;
}

try {
  await feed(1_000); // warm-up: code compiled, caches filled
  const reports = [await report()];
  console.log(describe(reports[0]));
  for (let block = 1; block <= blocks; block++) {
    await feed(perBlock);
    reports.push(await report());
    console.log(describe(reports.at(-1)!));
    const lines = growth(reports.at(-2)!.byConstructor, reports.at(-1)!.byConstructor);
    console.log(lines.length ? `grew by constructor:\n${lines.join("\n")}` : "nothing grew");
  }
  // The last block alone: the first ones still compile code and fill caches.
  const [before, last] = [reports.at(-2)!, reports.at(-1)!];
  const perThousand = (last.reachable - before.reachable) /
    ((last.messages - before.messages) / 1000);
  console.log(JSON.stringify({
    reachableGrowthMiB: mib(last.reachable - reports[0].reachable),
    lastBlockBytesPer1000Messages: Math.round(perThousand),
    heapMiB: reports.map((r) => ({
      messages: r.messages,
      usedBeforeGc: mib(r.before.used_heap_size),
      reachable: mib(r.reachable),
      kept: mib(r.after.total_heap_size),
    })),
  }));
} finally {
  worker.terminate();
  URL.revokeObjectURL(url);
}
