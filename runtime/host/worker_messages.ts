/**
 * The host's side of what workers post: each message is parsed (workers are
 * untrusted), then a load outcome, a log line or a call for a host
 * operation goes where it belongs. Calls are answered here:
 * arguments checked, the operation run for the guild the process tagged the
 * message with (never the guild a worker claims), the result sent back.
 *
 * @module
 */

import {
  type LoadedMessage,
  type LogLevel,
  type OperationName,
  parseOperationArgs,
  parseWorkerMessage,
  PROTOCOL_VERSION,
  type ResultMessage,
  type WorkerKey,
  type WorkerToHost,
} from "../sandbox/protocol/mod.ts";
import type { GuildWorker } from "./guild_worker.ts";
import type { QueuedEvent } from "./guild_queue.ts";
import type { LogSink } from "./logs.ts";
import { mapStackTrace } from "./stack_map.ts";
import { errorMessage } from "../../shared/error_message.ts";

/** What handling workers' messages needs from the sandbox manager. */
export interface WorkerMessageHost {
  /** The live worker with this key; undefined once it was stopped. */
  worker(key: WorkerKey): GuildWorker | undefined;
  /** The worker's script loaded. */
  loaded(worker: GuildWorker, message: LoadedMessage): void;
  /** The worker's script failed to load (the error as the author should read it). */
  loadFailed(worker: GuildWorker, error: string): void;
  /**
   * Runs a checked operation for a guild. Throws a readable error when refused. `origin` is
   * the worker's event in flight the call was made for, if any; `worker` the caller.
   */
  run(
    guildId: string,
    op: OperationName,
    args: unknown,
    origin: QueuedEvent | undefined,
    worker: GuildWorker,
  ): Promise<unknown>;
  /** Sends the answer to a call back to the worker; never rejects (a lost worker is reported apart). */
  answer(key: WorkerKey, result: ResultMessage): Promise<void>;
  /** Lets the worker's running event run `ms` longer (a CPU burst was granted). */
  extendBudget(key: WorkerKey, ms: number): Promise<void>;
}

/** Parses what workers post and acts on it; never throws, whatever a worker sends. */
export class WorkerMessages {
  /**
   * @param scriptLog writes a line the script logged; by default `logs.append` (the host may
   * route it through a volume limit instead, see guard/log_limiter.ts).
   */
  constructor(
    readonly host: WorkerMessageHost,
    readonly logs: LogSink,
    readonly scriptLog?: (guildId: string, level: LogLevel, message: string) => void,
  ) {}

  /** Handles something a worker posted. */
  receive(key: WorkerKey, raw: unknown): void {
    const worker = this.host.worker(key);
    if (!worker) return; // a worker we already stopped
    const parsed = parseWorkerMessage(raw);
    if (!parsed.ok) {
      this.logs.append(
        key.guildId,
        "error",
        `flora: rejected a malformed message from the script: ${parsed.error}`,
      );
      return;
    }
    this.#handle(worker, parsed.message);
  }

  #handle(worker: GuildWorker, message: WorkerToHost): void {
    switch (message.type) {
      case "loaded":
        this.host.loaded(worker, message);
        return;
      case "loadFailed":
        this.host.loadFailed(worker, mapStackTrace(worker.deployment, message.error));
        return;
      case "log": {
        const line = mapStackTrace(worker.deployment, message.message);
        // The script's own lines may be rate-limited (guard/log_limiter.ts); the host's never are.
        if (this.scriptLog) this.scriptLog(worker.key.guildId, message.level, line);
        else this.logs.append(worker.key.guildId, message.level, line);
        return;
      }
      case "call":
        this.#call(worker, message.callId, message.op, message.args, message.event);
        return;
    }
  }

  async #call(
    worker: GuildWorker,
    callId: number,
    op: OperationName,
    args: unknown,
    event: number | undefined,
  ) {
    const guildId = worker.key.guildId; // from the process's tag, never from the worker
    // Only ever one of this worker's own events in flight, whatever it claims.
    const origin = event === undefined ? undefined : worker.inflight.get(event);
    let result: { ok: true; value: unknown } | { ok: false; error: string };
    const parsed = parseOperationArgs(op, args);
    if (!parsed.ok) {
      result = { ok: false, error: parsed.error };
    } else {
      try {
        result = { ok: true, value: await this.host.run(guildId, op, parsed.args, origin, worker) };
        // The process learns of a burst before the script does, so it is in force when it goes on.
        if (op === "cpu.burst") await this.host.extendBudget(worker.key, result.value as number);
      } catch (error) {
        result = { ok: false, error: errorMessage(error) };
      }
    }
    if (!this.host.worker(worker.key)) return;
    await this.host.answer(worker.key, { v: PROTOCOL_VERSION, type: "result", callId, ...result });
  }
}
