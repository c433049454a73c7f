/**
 * `deno task bench:relay-heap`: does a sandbox process's own isolate (the
 * relay between the host and its workers, `process_main.ts`) keep what it
 * relays? Starts one sandbox process over stdio with the inspector on,
 * plays the host: a few guild workers running the benchmark script, fed
 * `!ping` messages one at a time each, their Discord calls answered. After
 * a warm-up and after each further block it takes a heap snapshot of the
 * process's main isolate through the inspector (`HeapProfiler`, which
 * collects garbage first) and prints the objects whose count grew, by
 * constructor. `--messages=N` per block (default 10,000), `--blocks=N`
 * (default 2), `--workers=N` (default 10), `--cpu-window=ms` (the
 * watchdog's CPU window, whose per-worker history fills for that long). Not part of `deno task bench` nor of CI.
 *
 * @module
 */

import { NdjsonWriter, readNdjson } from "../runtime/sandbox/ndjson.ts";
import {
  type HostToProcess,
  type ProcessToHost,
  PROTOCOL_VERSION,
  type WorkerKey,
} from "../runtime/sandbox/protocol/mod.ts";
import { bundleWorkerRuntime } from "../runtime/sandbox/worker_bundle.ts";
import { BENCH_SCRIPT } from "./flora_bench.ts";
import { groupNodes, growth, type HeapGroups, reachableBytes } from "./heap_snapshot.ts";
import { mib } from "./stats.ts";

function flag(name: string, fallback: number): number {
  const raw = Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  return raw === undefined ? fallback : Number(raw);
}

const perBlock = flag("messages", 10_000);
const blocks = flag("blocks", 2);
const workerCount = flag("workers", 10);
/** The watchdog's CPU window, ms: the per-worker CPU history it keeps spans this (0: default). */
const cpuWindowMs = flag("cpu-window", 0);
const PROCESS_MAIN = new URL("../runtime/sandbox/process_main.ts", import.meta.url);

const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--unstable-worker-options",
    "--inspect=127.0.0.1:0",
    "--v8-flags=--no-memory-reducer",
    PROCESS_MAIN.href,
  ],
  stdin: "piped",
  stdout: "piped",
  stderr: "piped",
}).spawn();

/** The inspector's WebSocket address, from the process's first stderr lines. */
async function inspectorUrl(): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const reader = child.stderr.getReader();
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the sandbox process printed no inspector address: ${text}`);
    text += decoder.decode(value, { stream: true });
    const found = /ws:\/\/\S+/.exec(text);
    if (found) {
      // Keep draining stderr so the process never blocks on it.
      (async () => {
        while (!(await reader.read()).done) { /* drop */ }
      })();
      return found[0];
    }
  }
}

const socket = new WebSocket(await inspectorUrl());
await new Promise((resolve, reject) => {
  socket.onopen = resolve;
  socket.onerror = reject;
});
let nextRequest = 1;
let snapshotText = "";
const answers = new Map<number, () => void>();
socket.onmessage = (event) => {
  const m = JSON.parse(event.data as string);
  if (m.method === "HeapProfiler.addHeapSnapshotChunk") snapshotText += m.params.chunk;
  else if (typeof m.id === "number") answers.get(m.id)?.();
};

/** Asks the inspector; resolves on its answer. */
function inspect(method: string, params: Record<string, unknown> = {}): Promise<void> {
  const id = nextRequest++;
  const answered = new Promise<void>((resolve) => answers.set(id, resolve));
  socket.send(JSON.stringify({ id, method, params }));
  return answered;
}

async function snapshot(): Promise<HeapGroups> {
  snapshotText = "";
  await inspect("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  const groups = groupNodes(snapshotText);
  snapshotText = "";
  return groups;
}

const out = new NdjsonWriter(child.stdin);
const send = (message: HostToProcess) => out.write(message);
const keys: WorkerKey[] = Array.from({ length: workerCount }, (_, i) => ({
  guildId: String(100000000000000000n + BigInt(i)),
  deploymentId: `d${i}`,
}));
const idOf = (key: WorkerKey) => `${key.guildId}:${key.deploymentId}`;
/** What each worker's loop waits for next: its load, or its current event's `done`. */
const waiting = new Map<string, () => void>();
let replies = 0;

(async () => {
  for await (const raw of readNdjson(child.stdout)) {
    const m = raw as ProcessToHost;
    if (m.type === "ready") waiting.get("ready")?.();
    if (m.type === "workerExit") throw new Error(`worker stopped: ${m.detail}`);
    if (m.type === "eventsDone") waiting.get(idOf(m))?.();
    if (m.type !== "fromWorker") continue;
    const inner = m.message as { type?: string; callId?: number };
    if (inner.type === "call") {
      replies++;
      const value = { id: String(1e17 + replies), channel_id: "2", content: "pong" };
      send({
        v: PROTOCOL_VERSION,
        type: "toWorker",
        guildId: m.guildId,
        deploymentId: m.deploymentId,
        message: { v: PROTOCOL_VERSION, type: "result", callId: inner.callId!, ok: true, value },
      });
    } else if (inner.type === "loaded") waiting.get(idOf(m))?.();
  }
})();

function next(id: string): Promise<void> {
  return new Promise((resolve) => waiting.set(id, resolve));
}

const ready = next("ready");
await send({
  v: PROTOCOL_VERSION,
  type: "init",
  workerRuntime: await bundleWorkerRuntime(),
  limits: {
    eventTimeoutMs: 10_000,
    loadTimeoutMs: 10_000,
    ...(cpuWindowMs > 0 ? { cpuWindowMs } : {}),
  },
});
await ready;
await Promise.all(keys.map((key) => {
  const loaded = next(idOf(key));
  send({
    v: PROTOCOL_VERSION,
    type: "spawn",
    ...key,
    load: {
      v: PROTOCOL_VERSION,
      type: "load",
      ...key,
      entry: "bench.js",
      code: BENCH_SCRIPT,
    },
  });
  return loaded;
}));

let eventId = 0;
/** Sends `count` `!ping`s spread over the workers, one in flight per worker. */
async function feed(count: number): Promise<void> {
  const each = Math.ceil(count / keys.length);
  await Promise.all(keys.map(async (key) => {
    for (let i = 0; i < each; i++) {
      const id = ++eventId;
      const done = next(idOf(key));
      const payload = {
        id: String(1e18 + id),
        channel_id: "2",
        guild_id: key.guildId,
        author: { id: "3", username: "bench" },
        content: "!ping",
        timestamp: new Date().toISOString(),
      };
      send({
        v: PROTOCOL_VERSION,
        type: "toWorker",
        ...key,
        message: {
          v: PROTOCOL_VERSION,
          type: "events",
          events: [{ id, name: "messageCreate", payload }],
        },
      });
      await done;
    }
  }));
}

try {
  await feed(1_000); // warm-up: code compiled, caches filled
  const snapshots = [{ messages: eventId, groups: await snapshot() }];
  const line = (s: { messages: number; groups: HeapGroups }) =>
    `after ${s.messages} messages: relay isolate ${mib(reachableBytes(s.groups))} MiB reachable`;
  console.log(line(snapshots[0]));
  for (let block = 1; block <= blocks; block++) {
    await feed(perBlock);
    snapshots.push({ messages: eventId, groups: await snapshot() });
    console.log(line(snapshots.at(-1)!));
    const lines = growth(snapshots.at(-2)!.groups, snapshots.at(-1)!.groups);
    console.log(lines.length ? `grew by constructor:\n${lines.join("\n")}` : "nothing grew");
  }
  console.log(JSON.stringify({
    workers: workerCount,
    reachableMiB: snapshots.map((s) => ({
      messages: s.messages,
      reachable: mib(reachableBytes(s.groups)),
    })),
  }));
} finally {
  socket.close();
  await out.close();
  await child.status;
}
