/**
 * Messages between the host and a guild's worker (relayed by the sandbox
 * process): `HostToWorker` and the untrusted `WorkerToHost`, which the host
 * checks with `parseWorkerMessage` (`parse/worker_message.ts`).
 *
 * @module
 */

import type { CommandDefinition, CronDefinition } from "./declarations.ts";
import type { ScriptEventName } from "./events.ts";
import type { OperationName } from "./operations.ts";
import type { LogLevel } from "./values.ts";
import type { PROTOCOL_VERSION } from "./version.ts";

// ---------------------------------------------------------------------------
// Host → worker (relayed by the sandbox process)

/** Evaluate the bundled script. Sent once, first. */
export interface LoadMessage {
  v: typeof PROTOCOL_VERSION;
  type: "load";
  guildId: string;
  deploymentId: string;
  entry: string;
  code: string;
  sourceMap?: string;
}

/** One gateway event, as relayed to the sandbox process. */
export interface EventMessage {
  /** Per-worker sequence number, echoed in {@linkcode DoneMessage}. */
  id: number;
  name: ScriptEventName;
  /** The payload; absent when `frame` carries it ({@linkcode eventPayload} reads either). */
  payload?: unknown;
  /**
   * The gateway frame the event arrived in, as the JSON text Discord sent
   * (its `d` is the payload): passed on unparsed from the host's gateway to
   * the worker, which parses it once (`event_frames.ts`).
   */
  frame?: string;
}

/** The answer to a worker's {@linkcode CallMessage}. */
export type ResultMessage =
  & { v: typeof PROTOCOL_VERSION; type: "result"; callId: number }
  & ({ ok: true; value: unknown } | { ok: false; error: string });

/**
 * Liveness check from the sandbox process. Answered by the worker runtime's
 * own message loop, so a worker stuck in a synchronous loop cannot answer,
 * whatever it claims in `done` messages.
 */
export interface PingMessage {
  v: typeof PROTOCOL_VERSION;
  type: "ping";
  seq: number;
}

/**
 * Events handed to a worker at once, run one after another in order: a lone
 * event, or consecutive {@link isDroppable droppable} ones ({@linkcode batchLength}).
 * The host builds them (one batch in flight per worker); the sandbox process
 * cuts what it hands over by the same rule, so a batch it relays is never
 * mixed. The worker answers with {@linkcode DoneMessage}s, each covering the
 * events finished since the last.
 */
export interface EventBatchMessage {
  v: typeof PROTOCOL_VERSION;
  type: "events";
  events: EventMessage[];
  /**
   * Set when the batch empties the worker's queue: its last `done` then
   * carries the thread's CPU time whenever it was last read, so a guild's
   * usage holds all its CPU once it goes quiet.
   */
  lastQueued?: boolean;
}

export type HostToWorker = LoadMessage | EventBatchMessage | ResultMessage | PingMessage;

/**
 * The worker's answer to {@linkcode PingMessage}, with its isolate's heap
 * figures. Consumed by the sandbox process, never relayed to the host.
 */
export interface PongMessage {
  v: typeof PROTOCOL_VERSION;
  type: "pong";
  seq: number;
  /** `Deno.memoryUsage().heapUsed` of the worker's isolate, bytes. */
  heapUsed: number;
  /** `Deno.memoryUsage().heapTotal`: the heap V8 keeps for the isolate, garbage and free space included. */
  heapTotal: number;
  /** `Deno.memoryUsage().external` (array buffers…), bytes. */
  external: number;
  /** CPU time of the worker's thread so far, ms (absent when the runtime cannot tell). */
  cpuMs?: number;
}

// ---------------------------------------------------------------------------
// Worker → host (untrusted; validated by the host)

/** The script finished evaluating; these are its commands to register. */
export interface LoadedMessage {
  v: typeof PROTOCOL_VERSION;
  type: "loaded";
  commands: CommandDefinition[];
  /** Scheduled jobs the script declared with `cron()`. */
  crons?: CronDefinition[];
}

/** The script threw (or timed out) while evaluating. */
export interface LoadFailedMessage {
  v: typeof PROTOCOL_VERSION;
  type: "loadFailed";
  error: string;
}

/** One finished event handler (with the error it threw, if any). */
export interface FinishedEvent {
  id: number;
  error?: string;
  /** When the handler started: `performance.timeOrigin + performance.now()` (dispatch latency). */
  startedAt?: number;
}

/**
 * Event handlers finished, in the order they ran. Consumed by the sandbox
 * process, which checks it against the events it handed over and reports
 * what it accepted to the host itself (`EventsDoneMessage`, events_done.ts).
 */
export interface DoneMessage {
  v: typeof PROTOCOL_VERSION;
  type: "done";
  events: FinishedEvent[];
  /**
   * CPU time of the worker's thread so far, ms, as in {@linkcode PongMessage}:
   * a busy worker reports through its batches and needs no pings. The sandbox
   * process reads it for its CPU rules and relays its latest figure to the
   * host, which charges the growth to the guild's usage. Absent when the worker read its
   * clock less than 50 ms before (a read costs ≈ 13 µs of its thread): then no report.
   */
  cpuMs?: number;
}

/** The script asks the host to do something on its behalf. */
export interface CallMessage {
  v: typeof PROTOCOL_VERSION;
  type: "call";
  callId: number;
  op: OperationName;
  args: unknown;
  /**
   * The {@linkcode EventMessage.id} of the event whose handler was running when the script
   * made the call, if one was: a cluster's bus event journals its mutating calls
   * (`runtime/host/effect_journaling.ts`). Claimed by the worker, so it only ever picks among
   * the worker's own events in flight.
   */
  event?: number;
}

/** A line of the script's console. */
export interface LogMessage {
  v: typeof PROTOCOL_VERSION;
  type: "log";
  level: LogLevel;
  message: string;
}

export type WorkerToHost =
  | LoadedMessage
  | LoadFailedMessage
  | DoneMessage
  | CallMessage
  | LogMessage;
