/**
 * Entry point of a sandbox process: a child Deno process, with no
 * permissions, that hosts the workers of the guilds hashed to it. It relays
 * messages between the host (ndjson over a socket or stdio, see
 * `host_link.ts`) and its workers
 * (postMessage), tags what a worker says with the worker's identity, and
 * runs the watchdog from outside the workers' threads.
 *
 * The watchdog trusts nothing a worker says about itself:
 * - events reach a worker one batch at a time (one event, or a run of
 *   droppable ones); each event has a budget (per event, per cron run)
 *   measured here, from the moment the worker reported the previous one
 *   done (or the batch was handed over);
 * - workers that may be running are pinged (see `needsPing`); the runtime
 *   answers from its own message loop, so a worker stuck in a synchronous
 *   loop goes silent and is stopped even if it sent an early `done` to
 *   escape its event budget. Asleep workers are left alone unless the
 *   process's own CPU time shows that one it did not ping is busy;
 * - pongs carry the worker thread's CPU time: a worker that keeps using CPU
 *   with no event in flight past the event budget (a loop after `done`,
 *   synchronous or yielding), or more than its share of a core over the CPU
 *   window, is stopped (reason `cpu`);
 * - pongs carry the isolate's heap figures: a worker over its heap limit is
 *   stopped (an early, forgeable signal), and when the whole process grows
 *   past its memory limit the worker that looks guilty is stopped, or the
 *   process exits and the host restarts it (the guarantee). A worker that
 *   exhausts its V8 heap aborts this process the same way.
 *
 * @module
 */

import { connectToHost } from "./host_link.ts";
import { NdjsonWriter, readNdjsonWithRaw } from "./ndjson.ts";
import { DeadlineTimer } from "./deadline_timer.ts";
import { SpareWorkers } from "./spare_workers.ts";
import {
  attachFrames,
  batchLength,
  type EventMessage,
  eventsDone,
  type HostToProcess,
  type LoadMessage,
  MAX_BATCH,
  PROCESS_HEARTBEAT_MS,
  type ProcessMemory,
  type ProcessToHost,
  PROTOCOL_VERSION,
  type ReportedFinish,
  type SandboxLimits,
  type WorkerExitReason,
  type WorkerKey,
  workerKeyId,
} from "./protocol/mod.ts";
import { UnexplainedCpu } from "./thread_cpu.ts";
import {
  budgetFor,
  type CpuHealth,
  grantBurst,
  type LivenessVerdict,
  needsPing,
  newCpuHealth,
  overMemory,
  pickMemoryCulprit,
  recordCpu,
  unexplainedBusy,
  unresponsive,
  type WorkerActivity,
  type WorkerHealth,
} from "./watchdog.ts";

interface InFlight {
  events: EventMessage[];
  /** Index of the first event the worker has not reported done. */
  next: number;
  /** When the running event's budget started (`performance.now()`). */
  startedAt: number;
  /** The running event's budget, ms, and the CPU burst it includes. */
  budgetMs: number;
  burstMs: number;
}

interface RunningWorker extends WorkerHealth, CpuHealth, WorkerActivity {
  key: WorkerKey;
  worker: Worker;
  /** Events waiting for the batch in flight to finish. */
  queue: EventMessage[];
  /** The batch in flight, how far the worker got, and the running event's budget. */
  current: InFlight | null;
  /** Stops the worker when the running event's budget runs out. */
  budget: DeadlineTimer;
  loadTimer?: ReturnType<typeof setTimeout>;
  /** The worker thread's CPU ms in its latest batch report, relayed to the host (usage). */
  cpuReported?: number;
  /** The worker's heap in use and kept at its latest pong, bytes (the heartbeat sums them). */
  heapUsed: number;
  heapTotal: number;
}

const MiB = 1024 * 1024;
const link = await connectToHost(Deno.args);
const out = new NdjsonWriter(link.output);
const workers = new Map<string, RunningWorker>();
let runtimeUrl: string | null = null;
/** Pre-started workers, so a cold start does not wait for a new isolate (see spare_workers.ts). */
let spares = null as SpareWorkers | null;
let limits: SandboxLimits = { eventTimeoutMs: 10_000, loadTimeoutMs: 10_000 };
let pingTimer: ReturnType<typeof setInterval> | undefined;
let pingSeq = 0;
let aliveTimer: ReturnType<typeof setInterval> | undefined;
/** The process's CPU time, to notice a busy worker that was not pinged. */
const cpuMeter = new UnexplainedCpu();
/** CPU ms the workers reported in pongs since the last watchdog round. */
let reportedCpuMs = 0;
/** Pings sent in the last watchdog round (their wake-ups show as unexplained CPU). */
let pingsLastRound = 0;
/** Consecutive rounds with unexplained CPU: a hog burns on, a GC burst does not. */
let unexplainedRounds = 0;

function send(message: ProcessToHost): void {
  out.write(message).catch(() => Deno.exit(0)); // host went away
}

function discard(running: RunningWorker): void {
  running.worker.terminate();
  running.budget.stop();
  running.current = null;
  running.queue.length = 0;
  clearTimeout(running.loadTimer);
  if (workers.get(workerKeyId(running.key)) === running) workers.delete(workerKeyId(running.key));
}

function stop(running: RunningWorker, reason: WorkerExitReason, detail: string): void {
  if (workers.get(workerKeyId(running.key)) !== running) return; // already stopped
  discard(running);
  send({ ...running.key, v: PROTOCOL_VERSION, type: "workerExit", reason, detail });
}

/**
 * Hands the worker its next batch, if none is in flight: the next event
 * alone, or a run of consecutive droppable ones (one wake-up of the
 * worker's thread for many no-op handlers is what makes throughput scale;
 * events that owe an answer go alone, so a lost worker loses only its own).
 */
function pump(running: RunningWorker): void {
  if (running.current || running.loading || running.queue.length === 0) return;
  const events = running.queue.splice(0, batchLength(running.queue, 0, MAX_BATCH));
  // The worker first: the bookkeeping below is on nobody's critical path (the report to the
  // host leaves with this turn's other messages either way).
  const lastQueued = running.queue.length === 0;
  running.worker.postMessage({ v: PROTOCOL_VERSION, type: "events", events, lastQueued });
  running.current = { events, next: 0, startedAt: performance.now(), budgetMs: 0, burstMs: 0 };
  armBudget(running, running.current);
  send({
    ...running.key,
    v: PROTOCOL_VERSION,
    type: "eventsStarted",
    ids: events.map((e) => e.id),
  });
}

/** Sets the budget of the event the worker is running (plus a burst), from its `startedAt`. */
function armBudget(running: RunningWorker, current: InFlight, burstMs = 0): void {
  current.budgetMs = budgetFor(current.events[current.next].name, limits) + burstMs;
  current.burstMs = burstMs;
  running.budget.set(current.startedAt + current.budgetMs);
}

/** The running event's budget ran out. */
function overBudget(running: RunningWorker): void {
  const current = running.current;
  if (!current) return;
  const { budgetMs, burstMs } = current;
  const burst = burstMs > 0 ? ` (with a CPU burst of ${burstMs} ms)` : "";
  const name = current.events[current.next].name;
  stop(running, "timeout", `the ${name} handler ran longer than ${budgetMs} ms${burst}`);
}

/** The host granted the running event a CPU burst: its budget grows by `ms`. */
function extendBudget(running: RunningWorker, ms: number): void {
  const current = running.current;
  if (!current || !Number.isFinite(ms) || ms <= 0) return;
  grantBurst(running, performance.now(), ms);
  armBudget(running, current, running.burstMs);
}

/**
 * Takes the worker's report of finished events: only the events in flight,
 * in the order they were handed over, count; anything else is dropped.
 * Reports what counted to the host (`eventsDone`).
 */
function finished(running: RunningWorker, reported: unknown): void {
  const current = running.current;
  if (!current || !Array.isArray(reported)) return;
  const ids: number[] = [];
  const accepted: ReportedFinish[] = [];
  for (const entry of reported) {
    const id = (entry as { id?: unknown } | null)?.id;
    if (current.next >= current.events.length || id !== current.events[current.next].id) break;
    ids.push(id);
    accepted.push(entry as ReportedFinish);
    current.next++;
  }
  if (ids.length === 0) return;
  running.burstMs = 0; // a burst lasts for the event it was asked for
  if (current.next < current.events.length) {
    current.startedAt = performance.now();
    armBudget(running, current);
  } else {
    running.current = null;
    running.budget.clear();
  }
  send(eventsDone(running.key, ids, accepted, running.cpuReported));
  pump(running);
}

/** Looks at what a worker posted; returns false for messages the host must not see. */
function observe(running: RunningWorker, data: unknown): boolean {
  if (typeof data !== "object" || data === null) return true;
  const m = data as { type?: unknown; id?: unknown; seq?: unknown };
  switch (m.type) {
    case "pong": {
      const pong = data as {
        heapUsed?: unknown;
        heapTotal?: unknown;
        external?: unknown;
        cpuMs?: unknown;
      };
      if (m.seq === running.pingSeq) running.pingSentAt = null;
      if (takeCpuReport(running, pong.cpuMs)) return false;
      if (typeof pong.heapUsed === "number" && typeof pong.external === "number") {
        running.heapUsed = pong.heapUsed;
        if (typeof pong.heapTotal === "number") running.heapTotal = pong.heapTotal;
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
    case "done": {
      // A report of progress with the thread's CPU time is as good as a pong for the CPU
      // rules: no ping needed. Taken twice per watchdog round at most, so a busy worker's CPU
      // history stays short. One without (the worker read its clock < 50 ms ago) is no report.
      const halfRound = (limits.pingIntervalMs ?? 200) / 2;
      const cpuMs = (data as { cpuMs?: unknown }).cpuMs;
      if (typeof cpuMs === "number" && Number.isFinite(cpuMs)) {
        // The latest figure goes to the host with the batch (the guild's usage), taken or not.
        running.cpuReported = cpuMs;
        if (performance.now() - running.pongAt >= halfRound && takeCpuReport(running, cpuMs)) {
          return false;
        }
      }
      finished(running, (data as { events?: unknown }).events);
      return false;
    }
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

/** Whether an event is in flight in the worker. */
function eventInFlight(running: RunningWorker): boolean {
  return running.current !== null;
}

/**
 * Records a pong's CPU report (runtime code, captured before the script
 * ran); returns true when it got the worker stopped.
 */
function takeCpuReport(running: RunningWorker, cpuMs: unknown): boolean {
  const now = performance.now();
  running.pongAt = now;
  if (typeof cpuMs !== "number" || !Number.isFinite(cpuMs)) return false;
  const previous = running.cpuSamples.at(-1);
  // Idle throughout: not loading, nothing in flight, nothing finished since the last report.
  const idle = !running.loading && !eventInFlight(running) &&
    (previous === undefined || running.activeAt < previous.at);
  if (previous) {
    running.lastCpuMs = Math.max(0, cpuMs - previous.cpuMs);
    reportedCpuMs += running.lastCpuMs;
  }
  const verdict = recordCpu(running, { at: now, cpuMs }, idle, limits);
  if (!verdict) return false;
  stop(running, "cpu", verdict.detail);
  return true;
}

function spawn(key: WorkerKey, load: LoadMessage): void {
  if (!runtimeUrl) throw new Error("spawn before init");
  const existing = workers.get(workerKeyId(key));
  if (existing) discard(existing);
  const worker = spares!.take();
  const running: RunningWorker = {
    key,
    worker,
    queue: [],
    current: null,
    budget: new DeadlineTimer(() => overBudget(running)),
    loading: true,
    pingSeq: 0,
    pingSentAt: null,
    reportedBytes: 0,
    heapUsed: 0,
    heapTotal: 0,
    ...newCpuHealth(),
    activeAt: performance.now(),
    pongAt: performance.now(),
    lastCpuMs: null,
  };
  workers.set(workerKeyId(key), running);
  worker.onmessage = (event: MessageEvent<unknown>) => {
    spares!.noteActivity();
    if (workers.get(workerKeyId(key)) !== running) return; // stopped meanwhile
    const type = (event.data as { type?: unknown } | null)?.type;
    // CPU the worker uses right after these is its handler's or its load's, not idle time.
    if (type === "done" || type === "loaded" || type === "loadFailed") {
      running.activeAt = performance.now();
    }
    if (!observe(running, event.data)) return;
    try {
      send({ ...key, v: PROTOCOL_VERSION, type: "fromWorker", message: event.data });
    } catch (error) {
      // Not JSON (cyclic, BigInt): thrown here, it would end this process and every neighbour.
      stop(running, "error", `the script sent a message the host cannot receive: ${error}`);
    }
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

/**
 * One watchdog round: stop silent workers, ping the workers that may be
 * running (every worker when the process's CPU says one not pinged is busy,
 * or when CPU cannot be measured), enforce the memory limit.
 */
function watch(): void {
  const now = performance.now();
  const interval = limits.pingIntervalMs ?? 200;
  const unexplained = unexplainedBusy(cpuMeter.sample(reportedCpuMs), interval, pingsLastRound);
  unexplainedRounds = unexplained ? unexplainedRounds + 1 : 0;
  const everyone = !cpuMeter.available || unexplainedRounds >= 2;
  reportedCpuMs = 0;
  pingsLastRound = 0;
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
    const busy = eventInFlight(running);
    if (busy || running.loading) running.activeAt = now;
    if (needsPing(running, busy, now, everyone, interval)) {
      pingsLastRound++;
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

/** This process's memory for the heartbeat: what the host reports to operators and the soak. */
function memory(): ProcessMemory {
  const { rss, heapUsed, heapTotal } = Deno.memoryUsage();
  let workersHeapUsed = 0, workersHeapTotal = 0;
  for (const running of workers.values()) {
    workersHeapUsed += running.heapUsed;
    workersHeapTotal += running.heapTotal;
  }
  return { rss, heapUsed, heapTotal, workersHeapUsed, workersHeapTotal };
}

/** Acts on a message from the host; `raw`: the JSON texts that followed its line. */
function handle(message: HostToProcess, raw: string[]): void {
  switch (message.type) {
    case "init": {
      limits = message.limits;
      const blob = new Blob([message.workerRuntime], { type: "application/javascript" });
      runtimeUrl = URL.createObjectURL(blob);
      spares?.close();
      spares = new SpareWorkers(runtimeUrl, 2);
      clearInterval(pingTimer);
      pingTimer = setInterval(watch, limits.pingIntervalMs ?? 200);
      // The host's view of this process's liveness (pool.ts): silence means kill and replace.
      clearInterval(aliveTimer);
      aliveTimer = setInterval(
        () => send({ v: PROTOCOL_VERSION, type: "alive", memory: memory() }),
        PROCESS_HEARTBEAT_MS,
      );
      send({ v: PROTOCOL_VERSION, type: "ready" });
      return;
    }
    case "spawn":
      spawn({ guildId: message.guildId, deploymentId: message.deploymentId }, message.load);
      return;
    case "toWorker": {
      const running = workers.get(workerKeyId(message));
      if (!running) return; // already stopped; the host learnt of it from workerExit
      const inner = message.message;
      if (inner.type === "events") {
        // Frames that came raw after the line become the events' text payloads, unparsed.
        if (!attachFrames(inner.events, raw)) {
          console.error("sandbox: dropped an event batch whose frames do not match its events");
          return;
        }
        for (const event of inner.events) running.queue.push(event);
        pump(running);
      } else {
        running.worker.postMessage(inner);
      }
      return;
    }
    case "extendBudget": {
      const running = workers.get(workerKeyId(message));
      if (running) extendBudget(running, message.ms);
      return;
    }
    case "terminate": {
      const running = workers.get(workerKeyId(message));
      if (running) discard(running);
      return;
    }
  }
}

try {
  for await (const lines of readNdjsonWithRaw(link.input)) {
    spares?.noteActivity();
    for (const { value, raw } of lines) {
      const m = value as HostToProcess;
      if (m?.v !== PROTOCOL_VERSION) {
        console.error(`sandbox: dropped message with protocol version ${String(m?.v)}`);
        continue;
      }
      try {
        handle(m, raw);
      } catch (error) {
        console.error("sandbox: failed to handle message:", error);
      }
    }
  }
} catch (error) {
  // A host killed while the process's last lines sat unread resets the link (ECONNRESET)
  // rather than ending it: the host is gone all the same.
  if (!(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)) {
    throw error;
  }
}
// The link closed: the host is gone or asked us to stop.
clearInterval(pingTimer);
clearInterval(aliveTimer);
spares?.close();
for (const running of workers.values()) running.worker.terminate();
await out.close().catch(() => {}); // a reset link cannot be closed cleanly
Deno.exit(0);
