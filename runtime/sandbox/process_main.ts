/**
 * Entry point of a sandbox process: a child Deno process that hosts the
 * workers of the guilds hashed to it. It relays messages between the host
 * (ndjson on stdio) and its workers (postMessage), tags what a worker says
 * with the worker's identity, and runs the watchdog that stops a handler
 * past its budget from outside the worker's thread.
 *
 * A worker that exhausts its heap aborts this whole process; the host
 * notices the exit and brings the process's guilds back, while the gateway,
 * the API and other processes keep running.
 *
 * @module
 */

import { NdjsonWriter, readNdjson } from "./ndjson.ts";
import {
  type HostToProcess,
  type LoadMessage,
  type ProcessToHost,
  PROTOCOL_VERSION,
  type SandboxLimits,
  type WorkerExitReason,
  type WorkerKey,
} from "./protocol.ts";

interface RunningWorker {
  key: WorkerKey;
  worker: Worker;
  /** Event ids in flight → their watchdog timers. */
  inflight: Map<number, ReturnType<typeof setTimeout>>;
  loadTimer?: ReturnType<typeof setTimeout>;
}

const out = new NdjsonWriter(Deno.stdout.writable);
const workers = new Map<string, RunningWorker>();
let runtimeUrl: string | null = null;
let limits: SandboxLimits = { eventTimeoutMs: 10_000, loadTimeoutMs: 10_000 };

function send(message: ProcessToHost): void {
  out.write(message).catch(() => Deno.exit(0)); // host went away
}

function idOf(key: WorkerKey): string {
  return `${key.guildId}:${key.deploymentId}`;
}

function stop(running: RunningWorker, reason: WorkerExitReason, detail: string): void {
  running.worker.terminate();
  for (const timer of running.inflight.values()) clearTimeout(timer);
  clearTimeout(running.loadTimer);
  workers.delete(idOf(running.key));
  send({ ...running.key, v: PROTOCOL_VERSION, type: "workerExit", reason, detail });
}

function spawn(key: WorkerKey, load: LoadMessage): void {
  if (!runtimeUrl) throw new Error("spawn before init");
  const existing = workers.get(idOf(key));
  if (existing) existing.worker.terminate();
  const worker = new Worker(runtimeUrl, {
    type: "module",
    name: `guild-${key.guildId}`,
    deno: { permissions: "none" },
  });
  const running: RunningWorker = { key, worker, inflight: new Map() };
  workers.set(idOf(key), running);
  worker.onmessage = (event: MessageEvent<unknown>) => {
    const data = event.data;
    if (typeof data === "object" && data !== null) {
      const type = (data as { type?: unknown }).type;
      if (type === "done") {
        const id = (data as { id?: unknown }).id;
        if (typeof id === "number") {
          clearTimeout(running.inflight.get(id));
          running.inflight.delete(id);
        }
      } else if (type === "loaded" || type === "loadFailed") {
        clearTimeout(running.loadTimer);
      }
    }
    send({ ...key, v: PROTOCOL_VERSION, type: "fromWorker", message: data });
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

function handle(message: HostToProcess): void {
  switch (message.type) {
    case "init": {
      limits = message.limits;
      const blob = new Blob([message.workerRuntime], { type: "application/javascript" });
      runtimeUrl = URL.createObjectURL(blob);
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
        const id = inner.id;
        running.inflight.set(
          id,
          setTimeout(
            () => stop(running, "timeout", `handler ran longer than ${limits.eventTimeoutMs} ms`),
            limits.eventTimeoutMs,
          ),
        );
      }
      running.worker.postMessage(inner);
      return;
    }
    case "terminate": {
      const running = workers.get(idOf(message));
      if (!running) return;
      running.worker.terminate();
      for (const timer of running.inflight.values()) clearTimeout(timer);
      clearTimeout(running.loadTimer);
      workers.delete(idOf(message));
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
for (const running of workers.values()) running.worker.terminate();
await out.close();
Deno.exit(0);
