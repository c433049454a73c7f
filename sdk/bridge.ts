/**
 * The worker's side of the sandbox protocol: the only path from a script to
 * the host. `postMessage` is captured here before user code runs, so the
 * SDK's own channel stays usable whatever a script does to the global scope.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import type { OperationName } from "../runtime/sandbox/protocol/operations.ts";
import type { LogLevel } from "../runtime/sandbox/protocol/values.ts";
import { PROTOCOL_VERSION } from "../runtime/sandbox/protocol/version.ts";
import type {
  PongMessage,
  ResultMessage,
  WorkerToHost,
} from "../runtime/sandbox/protocol/worker_messages.ts";
import {
  CallGate,
  cutLogLine,
  jsonLengthAtLeast,
  LogRate,
  MAX_CALL_CHARS,
  MAX_FETCH_CALL_CHARS,
} from "./worker_bounds.ts";

/** The part of a dedicated worker's global scope this module uses. */
interface WorkerScope {
  postMessage(message: WorkerToHost | PongMessage): void;
}

const scope = globalThis as unknown as WorkerScope;
const post: (message: WorkerToHost | PongMessage) => void = typeof scope.postMessage === "function"
  ? scope.postMessage.bind(scope)
  : () => {
    throw new Error("the flora SDK talks to a host only inside a flora sandbox worker");
  };

let nextCallId = 1;
/** An event's handler run: `running` turns false once its handler returned. */
interface HandlerRun {
  readonly id: number;
  running: boolean;
}
/**
 * The handler run whose async chain a call is made in (its awaits, its timers, its promises):
 * the host journals and fences the call as that event's. A timer or promise that outlives its
 * handler carries a run no longer `running`, so its calls are made for no event, whichever
 * handler runs when they fire. The runtime's own: a script cannot import `node:` modules.
 */
const handlerRuns = new AsyncLocalStorage<HandlerRun>();
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
// Bounds on what this worker puts in flight, applied before anything leaves it.
const calls = new CallGate();
const logRate = new LogRate();

/**
 * Runs event `id`'s handler `fn`: the calls made in its async chain are the event's until it
 * settles, and made for no event after.
 */
export async function runForEvent(id: number, fn: () => Promise<void>): Promise<void> {
  const run: HandlerRun = { id, running: true };
  try {
    await handlerRuns.run(run, fn);
  } finally {
    run.running = false;
  }
}

/** Sends a protocol message to the host. */
export function send(message: WorkerToHost | PongMessage): void {
  post(message);
}

/**
 * Asks the host to perform an operation; resolves with its result or
 * rejects with the host's reason (e.g. an id outside this guild).
 */
export function call(op: OperationName, args: unknown): Promise<unknown> {
  // Measured here, on the script's own thread, before anything crosses a boundary (what JSON
  // cannot carry, cyclic or BigInt, fails here too, not in the process's relay). What is too big
  // on its strings' lengths alone is refused without serializing it.
  const most = op === "fetch" ? MAX_FETCH_CALL_CHARS : MAX_CALL_CHARS;
  let chars = jsonLengthAtLeast(args ?? null, most);
  if (chars <= most) {
    try {
      chars = JSON.stringify(args ?? null)?.length ?? 0;
    } catch (error) {
      return Promise.reject(
        new TypeError(`${op}: its arguments cannot be sent: ${(error as Error).message}`),
      );
    }
  }
  if (chars > most) {
    return Promise.reject(
      new RangeError(
        `${op}: its arguments are ${chars} characters or more as JSON; this call may carry ` +
          `at most ${most}`,
      ),
    );
  }
  const callId = nextCallId++;
  const run = handlerRuns.getStore(); // now, not when the gate lets the call go
  const event = run?.running ? run.id : undefined;
  return new Promise((resolve, reject) => {
    pending.set(callId, { resolve, reject });
    calls.run(
      () =>
        post(
          event === undefined
            ? { v: PROTOCOL_VERSION, type: "call", callId, op, args }
            : { v: PROTOCOL_VERSION, type: "call", callId, op, args, event },
        ),
      chars,
    );
  });
}

/** Settles the call a host result answers. */
export function settle(result: ResultMessage): void {
  const waiter = pending.get(result.callId);
  if (!waiter) return;
  pending.delete(result.callId);
  calls.done();
  if (result.ok) waiter.resolve(result.value);
  else waiter.reject(new Error(result.error));
}

/**
 * Writes a line to the guild's log stream, within the worker's log budget:
 * `message` may be a function, called only for a line the budget lets
 * through (a dropped line is never formatted).
 */
export function log(level: LogLevel, message: string | (() => string)): void {
  if (!logRate.take()) return;
  const dropped = logRate.droppedNote();
  if (dropped) post({ v: PROTOCOL_VERSION, type: "log", level: "warn", message: dropped });
  const line = cutLogLine(typeof message === "string" ? message : message());
  logRate.spend(line.length);
  post({ v: PROTOCOL_VERSION, type: "log", level, message: line });
}
