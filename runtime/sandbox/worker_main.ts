/**
 * The code every guild worker starts with: it installs the SDK globals,
 * then evaluates the guild's bundled script when the host sends `load`, and
 * runs handlers for the events the host sends. Bundled once per host start
 * into plain JavaScript, so a worker start does no TypeScript work.
 *
 * @module
 */

import { dispatch, registeredCommands } from "../../sdk/bot.ts";
import { log, runForEvent, send, settle } from "../../sdk/bridge.ts";
import { globals, installGlobals } from "../../sdk/globals.ts";
import { formatError, setScriptUrl } from "../../sdk/errors.ts";
import { registeredCrons } from "../../sdk/cron.ts";
import { getHeapStatistics } from "node:v8";
import { hardenWorkerScope } from "./harden.ts";
// Captures this thread's CPU clock at import, before the script runs (pongs report it).
import { threadCpuMs } from "./thread_cpu.ts";
import {
  type EventBatchMessage,
  eventPayload,
  type FinishedEvent,
  type HostToWorker,
  type LoadMessage,
  PROTOCOL_VERSION,
} from "./protocol/mod.ts";

installGlobals(globalThis);
/**
 * The isolate's heap figures for a pong, read from V8 alone: `Deno.memoryUsage()` also reads
 * the process's RSS from `/proc/self/statm` (≈ 7.5 µs a call against 0.5, on the worker's
 * thread, for a figure the pong does not carry). Captured before the script runs.
 */
const heapStatistics = getHeapStatistics;
// The precise clock, for the runtime's own reports: scripts get a coarse one (harden.ts).
const preciseNow = performance.now.bind(performance);
const timeOrigin = performance.timeOrigin;

// A rejected promise nobody awaited is the script's bug: log it, keep the worker.
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  log("error", `Unhandled promise rejection: ${formatError(event.reason)}`);
});
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  log("error", `Uncaught error: ${formatError(event.error ?? event.message)}`);
});

let loaded = false;

async function load(message: LoadMessage): Promise<void> {
  if (loaded) return;
  loaded = true;
  const code = `${message.code}\n//# sourceURL=${message.entry}`;
  const url = URL.createObjectURL(new Blob([code], { type: "application/javascript" }));
  // Stack frames of the script name this URL; the host maps them to the author's lines.
  setScriptUrl(url);
  try {
    await import(url);
    send({
      v: PROTOCOL_VERSION,
      type: "loaded",
      commands: registeredCommands(),
      crons: registeredCrons(),
    });
  } catch (error) {
    send({ v: PROTOCOL_VERSION, type: "loadFailed", error: formatError(error) });
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Finished events not yet reported: at most this long, so the process sees progress, ms. */
const REPORT_EVERY_MS = 5;
/**
 * A `done` carries the thread's CPU time only when it was last read this long ago, ms. The
 * read opens and parses `/proc/self/task/<tid>/stat` (Deno 2.9.6's `threadCpuUsage`), ≈ 13
 * µs of the worker's thread: as much as the rest of a one-event batch's runtime work
 * (`bench/worker_wake.ts`). The process takes a report at most every half watchdog round
 * (100 ms), and the clock counts 10 ms ticks, so a busy worker reading on every batch wasted
 * all but a few. Pongs always carry it, and so does the last `done` of a batch that emptied the
 * worker's queue (the host's usage figures only hear of CPU through a `done`).
 */
const CPU_REPORT_MS = 50;
let cpuReadAt = -Infinity;

/** The thread's CPU time for a `done`, when due ({@link CPU_REPORT_MS}) or `final`. */
function cpuForReport(final = false): number | undefined {
  const now = preciseNow();
  if (!final && now - cpuReadAt < CPU_REPORT_MS) return undefined;
  cpuReadAt = now;
  return threadCpuMs() ?? undefined;
}

/**
 * Runs a batch in order. Finished events are reported together at the end,
 * or as soon as some have waited {@link REPORT_EVERY_MS}, so a batch of
 * slow handlers still shows progress to the watchdog's per-event budget.
 */
async function runBatch(batch: EventBatchMessage): Promise<void> {
  let finished: FinishedEvent[] = [];
  let reportedAt = preciseNow();
  for (const event of batch.events) {
    let error: string | undefined;
    const startedAt = timeOrigin + preciseNow();
    try {
      await runForEvent(event.id, () => dispatch(event.name, eventPayload(event)));
    } catch (thrown) {
      error = formatError(thrown);
      log("error", `Error in ${event.name} handler: ${error}`);
    }
    finished.push(error ? { id: event.id, startedAt, error } : { id: event.id, startedAt });
    if (preciseNow() - reportedAt >= REPORT_EVERY_MS) {
      const last = event === batch.events[batch.events.length - 1];
      send({
        v: PROTOCOL_VERSION,
        type: "done",
        events: finished,
        cpuMs: cpuForReport(last && batch.lastQueued === true),
      });
      finished = [];
      reportedAt = preciseNow();
    }
  }
  if (finished.length > 0) {
    send({
      v: PROTOCOL_VERSION,
      type: "done",
      events: finished,
      cpuMs: cpuForReport(batch.lastQueued === true),
    });
  }
}

/** The part of a dedicated worker's global scope this module uses. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<HostToWorker>) => void) | null;
}

(globalThis as unknown as WorkerScope).onmessage = async (event) => {
  const message = event.data;
  if (message?.v !== PROTOCOL_VERSION) return;
  switch (message.type) {
    case "load":
      await load(message);
      return;
    case "result":
      settle(message);
      return;
    case "ping": {
      const heap = heapStatistics();
      const heapUsed = heap.used_heap_size;
      const heapTotal = heap.total_heap_size;
      const external = heap.external_memory;
      cpuReadAt = preciseNow();
      const cpuMs = threadCpuMs() ?? undefined;
      send({
        v: PROTOCOL_VERSION,
        type: "pong",
        seq: message.seq,
        heapUsed,
        heapTotal,
        external,
        cpuMs,
      });
      return;
    }
    case "events":
      await runBatch(message);
      return;
  }
};

// Last, once the handlers above are in place: nothing the script does can undo them.
hardenWorkerScope(globalThis, globals);
