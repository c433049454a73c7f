/**
 * The sandbox protocol: every message exchanged between the host, a sandbox
 * process and a guild's worker. Versioned and typed in this folder;
 * this module only re-exports.
 *
 * Two hops carry these messages:
 *
 * ```
 * host ──(ndjson, Unix socket or stdio)── sandbox process ──(postMessage)── worker
 *       HostToProcess / ProcessToHost        HostToWorker / WorkerToHost
 * ```
 *
 * The sandbox process is flora's own code and tags what a worker says with
 * that worker's guild and deployment, so a worker can never claim to be
 * another guild. Anything a worker says is untrusted: the host parses it with
 * {@linkcode parseWorkerMessage} and drops what does not fit.
 *
 * @module
 */

export * from "./version.ts";
export * from "./values.ts";
export * from "./declarations.ts";
export * from "./events.ts";
export * from "./operations.ts";
export * from "./sorted_operations.ts";
export * from "./kv_transaction_operations.ts";
export * from "./task_operations.ts";
export * from "./cpu_operations.ts";
export * from "./worker_messages.ts";
export * from "./event_frames.ts";
export * from "./process_messages.ts";
export * from "./events_done.ts";
export * from "./parse/worker_message.ts";
export * from "./parse/operation_args.ts";
