/**
 * Entry point of a sandbox process: a child Deno process, with no
 * permissions, that hosts the workers of the guilds hashed to it. It relays
 * messages between the host (ndjson on stdio) and its workers
 * (postMessage), tags what a worker says with the worker's identity, and
 * runs the watchdog from outside the workers' threads.
 *
 * The watchdog trusts nothing a worker says about itself:
 * - events reach a worker one at a time; each has a budget (per event, per
 *   cron run) measured here, from the moment the event was handed over;
 * - every worker is pinged; the runtime answers from its own message loop,
 *   so a worker stuck in a synchronous loop goes silent and is stopped even
 *   if it sent an early `done` to escape its event budget;
 * - pongs carry the isolate's heap figures: a worker over its heap limit is
 *   stopped (an early, forgeable signal), and when the whole process grows
 *   past its memory limit the worker that looks guilty is stopped, or the
 *   process exits and the host restarts it (the guarantee). A worker that
 *   exhausts its V8 heap aborts this process the same way.
 *
 * @module
 */

import { NdjsonWriter, readNdjson } from "./ndjson.ts";
import { SpareWorkers } from "./spare_workers.ts";
import {
  type EventMessage,
  type HostToProcess,
  type LoadMessage,
  type ProcessToHost,
  PROTOCOL_VERSION,
  type SandboxLimits,
  type WorkerExitReason,
  type WorkerKey,
} from "./protocol.ts";
import {
  budgetFor,
  type LivenessVerdict,
  overMemory,
  pickMemoryCulprit,
  unresponsive,
  type WorkerHealth,
} from "./watchdog.ts";

interface RunningWorker extends WorkerHealth {
  key: WorkerKey;
  worker: Worker;
  /** Events waiting for the one in flight to finish. */
  queue: EventMessage[];
  /** The event in flight and its budget timer. */
  current: { id: number; timer: ReturnType<typeof setTimeout> } | null;
  loadTimer?: ReturnType<typeof setTimeout>;
}

const MiB = 1024 * 1024;
const out = new NdjsonWriter(Deno.stdout.writable);
const workers = new Map<string, RunningWorker>();
let runtimeUrl: string | null = null;
/** Pre-started workers, so a cold start does not wait for a new isolate (see spare_workers.ts). */
let spares = null as SpareWorkers | null;
let limits: SandboxLimits = { eventTimeoutMs: 10_000, loadTimeoutMs: 10_000 };
let pingTimer: ReturnType<typeof setInterval> | undefined;
let pingSeq = 0;

function send(message: ProcessToHost): void {
  out.write(message).catch(() => Deno.exit(0)); // host went away
}

function idOf(key: WorkerKey): string {
  return `${key.guildId}:${key.deploymentId}`;
}

function discard(running: RunningWorker): void {
  running.worker.terminate();
  if (running.current) clearTimeout(running.current.timer);
  running.current = null;
  running.queue.length = 0;
  clearTimeout(running.loadTimer);
  if (workers.get(idOf(running.key)) === running) workers.delete(idOf(running.key));
}

function stop(running: RunningWorker, reason: WorkerExitReason, detail: string): void {
  if (workers.get(idOf(running.key)) !== running) return; // already stopped
  discard(running);
  send({ ...running.key, v: PROTOCOL_VERSION, type: "workerExit", reason, detail });
}

/** Hands the next queued event to the worker, if none is in flight. */
function pump(running: RunningWorker): void {
  if (running.current || running.loading) return;
  const next = running.queue.shift();
  if (!next) return;
  const budget = budgetFor(next.name, limits);
  running.current = {
    id: next.id,
    timer: setTimeout(
      () => stop(running, "timeout", `the ${next.name} handler ran longer than ${budget} ms`),
      budget,
    ),
  };
  send({ ...running.key, v: PROTOCOL_VERSION, type: "eventStarted", id: next.id });
  running.worker.postMessage(next);
}

/** Looks at what a worker posted; returns false for messages the host must not see. */
function observe(running: RunningWorker, data: unknown): boolean {
  if (typeof data !== "object" || data === null) return true;
  const m = data as { type?: unknown; id?: unknown; seq?: unknown };
  switch (m.type) {
    case "pong": {
      const pong = data as { heapUsed?: unknown; external?: unknown };
      if (m.seq === running.pingSeq) running.pingSentAt = null;
      if (typeof pong.heapUsed === "number" && typeof pong.external === "number") {
        running.reportedBytes = pong.heapUsed + pong.external;
        const limitMb = limits.workerHeapMb;
        if (limitMb && running.reportedBytes > limitMb * MiB) {
          stop(
            running,
            "memory",
            `the script used ${Math.round(running.reportedBytes / MiB)} MiB (limit ${limitMb} MiB)`,
          );
        }
      }
      return false;
    }
    case "done":
      // Only the event in flight can finish; a `done` for anything else is dropped.
      if (!running.current || m.id !== running.current.id) return false;
      clearTimeout(running.current.timer);
      running.current = null;
      pump(running);
      return true;
    case "loaded":
    case "loadFailed":
      clearTimeout(running.loadTimer);
      running.loading = false;
      pump(running);
      return true;
    default:
      return true;
  }
}

function spawn(key: WorkerKey, load: LoadMessage): void {
  if (!runtimeUrl) throw new Error("spawn before init");
  const existing = workers.get(idOf(key));
  if (existing) discard(existing);
  const worker = spares!.take();
  const running: RunningWorker = {
    key,
    worker,
    queue: [],
    current: null,
    loading: true,
    pingSeq: 0,
    pingSentAt: null,
    reportedBytes: 0,
  };
  workers.set(idOf(key), running);
  worker.onmessage = (event: MessageEvent<unknown>) => {
    if (workers.get(idOf(key)) !== running) return; // stopped meanwhile
    if (!observe(running, event.data)) return;
    send({ ...key, v: PROTOCOL_VERSION, type: "fromWorker", message: event.data });
  };
  worker.onerror = (event: ErrorEvent) => {
    // Never let a worker's uncaught error propagate into this process.
    event.preventDefault();
    stop(running, "error", event.message || "worker error");
  };
  worker.onmessageerror = () => {
    // A message that could not be deserialised is dropped, like any malformed one.
  };
  running.loadTimer = setTimeout(
    () => stop(running, "timeout", `script took longer than ${limits.loadTimeoutMs} ms to load`),
    limits.loadTimeoutMs,
  );
  worker.postMessage(load);
}

function verdictDetail(verdict: LivenessVerdict): string {
  return `the script did not yield for ${verdict.silentMs} ms (limit ${verdict.limitMs} ms); ` +
    "a synchronous loop?";
}

/** One watchdog round: ping every worker, stop silent ones, enforce the memory limit. */
function watch(): void {
  const now = performance.now();
  const interval = limits.pingIntervalMs ?? 200;
  for (const running of [...workers.values()]) {
    const verdict = unresponsive(running, now, limits);
    if (verdict) {
      stop(running, "unresponsive", verdictDetail(verdict));
      continue;
    }
    if (running.pingSentAt !== null && now - running.pingSentAt > 2 * interval) {
      const silentMs = Math.round(now - running.pingSentAt);
      send({ ...running.key, v: PROTOCOL_VERSION, type: "workerSilent", silentMs });
    }
    if (running.pingSentAt === null) {
      running.pingSeq = ++pingSeq;
      running.pingSentAt = now;
      running.worker.postMessage({ v: PROTOCOL_VERSION, type: "ping", seq: running.pingSeq });
    }
  }
  const rss = Deno.memoryUsage().rss;
  if (!overMemory(rss, limits)) return;
  const culprit = pickMemoryCulprit([...workers.values()], now, limits);
  const detail = `the sandbox process grew to ${Math.round(rss / MiB)} MiB ` +
    `(limit ${limits.processMemoryMb} MiB)`;
  if (culprit) {
    stop(culprit as RunningWorker, "memory", `${detail}; this script looked responsible`);
  } else {
    console.error(`sandbox: ${detail}; exiting so the host restarts this process`);
    Deno.exit(70);
  }
}

function handle(message: HostToProcess): void {
  switch (message.type) {
    case "init": {
      limits = message.limits;
      const blob = new Blob([message.workerRuntime], { type: "application/javascript" });
      runtimeUrl = URL.createObjectURL(blob);
      spares?.close();
      spares = new SpareWorkers(runtimeUrl, 2);
      clearInterval(pingTimer);
      pingTimer = setInterval(watch, limits.pingIntervalMs ?? 200);
      send({ v: PROTOCOL_VERSION, type: "ready" });
      return;
    }
    case "spawn":
      spawn({ guildId: message.guildId, deploymentId: message.deploymentId }, message.load);
      return;
    case "toWorker": {
      const running = workers.get(idOf(message));
      if (!running) return; // already stopped; the host learnt of it from workerExit
      const inner = message.message;
      if (inner.type === "event") {
        running.queue.push(inner);
        pump(running);
      } else {
        running.worker.postMessage(inner);
      }
      return;
    }
    case "terminate": {
      const running = workers.get(idOf(message));
      if (running) discard(running);
      return;
    }
  }
}

for await (const message of readNdjson(Deno.stdin.readable)) {
  const m = message as HostToProcess;
  if (m?.v !== PROTOCOL_VERSION) {
    console.error(`sandbox: dropped message with protocol version ${String(m?.v)}`);
    continue;
  }
  try {
    handle(m);
  } catch (error) {
    console.error("sandbox: failed to handle message:", error);
  }
}
// stdin closed: the host is gone or asked us to stop.
clearInterval(pingTimer);
spares?.close();
for (const running of workers.values()) running.worker.terminate();
await out.close();
Deno.exit(0);
