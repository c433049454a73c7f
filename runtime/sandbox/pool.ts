/**
 * The host's side of the sandbox processes: spawns them, maps each guild to
 * one by a stable hash, relays protocol messages, and restarts a process
 * that dies (a worker's heap exhaustion aborts its whole process, never the
 * host).
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
  type ToWorkerMessage,
  type WorkerExitReason,
  type WorkerKey,
} from "./protocol.ts";

const PROCESS_MAIN = new URL("./process_main.ts", import.meta.url);
/** A worker reported silent this recently when its process died is blamed for it, ms. */
const SUSPECT_WINDOW_MS = 1_000;

export interface PoolOptions {
  /** Number of sandbox processes. */
  processes: number;
  /** The bundled worker runtime (see `worker_bundle.ts`). */
  workerRuntime: string;
  limits: SandboxLimits;
  /** V8 old-space limit of each sandbox process, in MiB. */
  heapMb: number;
}

/** What the pool reports to its owner. */
export interface PoolListener {
  /** A worker posted something (untrusted). */
  workerMessage(key: WorkerKey, message: unknown): void;
  /** The process stopped a worker (watchdog) or the worker died. */
  workerExit(key: WorkerKey, reason: WorkerExitReason | "process", detail: string): void;
  /** The process handed event `id` to the worker (it is no longer safe to deliver again). */
  eventStarted?(key: WorkerKey, id: number): void;
}

/**
 * FNV-1a over the guild id: the same guild always lands on the same process.
 *
 * @example
 * ```ts
 * processIndex("123456789012345678", 4); // a stable number in 0..3
 * ```
 */
export function processIndex(guildId: string, processes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < guildId.length; i++) {
    hash ^= guildId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % processes;
}

function passThroughEnv(names: string[]): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of names) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function keyId(key: WorkerKey): string {
  return `${key.guildId}:${key.deploymentId}`;
}

/** One supervised sandbox process. */
class SandboxProcess {
  #child: Deno.ChildProcess | null = null;
  #writer: NdjsonWriter | null = null;
  #ready: Promise<void> | null = null;
  /** Workers living in this process, so their owners learn when it dies. */
  readonly workers = new Map<string, WorkerKey>();
  /** When each worker was last reported silent (a likely cause if the process aborts). */
  readonly #silent = new Map<string, number>();
  #closing = false;
  restarts = 0;

  constructor(
    readonly index: number,
    readonly options: PoolOptions,
    readonly listener: PoolListener,
  ) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): Promise<void> {
    const child = new Deno.Command(Deno.execPath(), {
      // No permission flags: the process and its workers get none. No config, remote
      // or npm code either, so a script's import() reaches nothing outside its bundle.
      args: [
        "run",
        "--unstable-worker-options",
        "--no-prompt",
        "--no-config",
        "--no-lock",
        "--no-remote",
        "--no-npm",
        `--v8-flags=--max-old-space-size=${this.options.heapMb}`,
        PROCESS_MAIN.href,
      ],
      // Only what Deno needs to find its cache: nothing else of the host's environment.
      env: passThroughEnv(["DENO_DIR", "HOME", "XDG_CACHE_HOME"]),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#child = child;
    this.#writer = new NdjsonWriter(child.stdin);
    let resolveReady!: () => void;
    this.#ready = new Promise((resolve) => (resolveReady = resolve));
    this.#read(child, resolveReady);
    child.status.then((status) => this.#exited(child, status));
    this.#writer.write(
      {
        v: PROTOCOL_VERSION,
        type: "init",
        workerRuntime: this.options.workerRuntime,
        limits: this.options.limits,
      } satisfies HostToProcess,
    ).catch(() => {});
    return this.#ready;
  }

  async #read(child: Deno.ChildProcess, ready: () => void): Promise<void> {
    try {
      for await (const raw of readNdjson(child.stdout)) {
        const message = raw as ProcessToHost;
        switch (message.type) {
          case "ready":
            ready();
            break;
          case "fromWorker":
            this.listener.workerMessage(
              { guildId: message.guildId, deploymentId: message.deploymentId },
              message.message,
            );
            break;
          case "workerSilent":
            this.#silent.set(keyId(message), performance.now());
            break;
          case "eventStarted":
            this.listener.eventStarted?.(
              { guildId: message.guildId, deploymentId: message.deploymentId },
              message.id,
            );
            break;
          case "workerExit": {
            const key = { guildId: message.guildId, deploymentId: message.deploymentId };
            this.workers.delete(keyId(key));
            this.listener.workerExit(key, message.reason, message.detail);
            break;
          }
        }
      }
    } catch {
      // The pipe broke: the exit handler takes over.
    }
  }

  #exited(child: Deno.ChildProcess, status: Deno.CommandStatus): void {
    if (this.#child !== child) return;
    this.#child = null;
    this.#writer = null;
    const lost = [...this.workers.values()];
    this.workers.clear();
    const silentSince = performance.now() - SUSPECT_WINDOW_MS;
    const suspects = new Set(
      [...this.#silent].filter(([, at]) => at >= silentSince).map(([id]) => id),
    );
    this.#silent.clear();
    if (this.#closing) return;
    const detail = status.signal
      ? `sandbox process ${this.index} was killed by ${status.signal}`
      : `sandbox process ${this.index} exited with code ${status.code}`;
    this.restarts++;
    // Bring the process back first, so owners can re-spawn their workers at once.
    this.#ready = this.start();
    for (const key of lost) {
      const suspect = suspects.has(keyId(key));
      this.listener.workerExit(
        key,
        suspect ? "abort" : "process",
        suspect ? `${detail} while this script was not responding` : detail,
      );
    }
  }

  async send(message: HostToProcess): Promise<void> {
    await this.#ready;
    await this.#writer?.write(message).catch(() => {});
  }

  async close(): Promise<void> {
    this.#closing = true;
    const child = this.#child;
    if (!child) return;
    await this.#writer?.close();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 2_000);
    await child.status;
    clearTimeout(timer);
  }
}

/** The set of sandbox processes, addressed by worker key. */
export class SandboxPool {
  #processes: SandboxProcess[] = [];

  constructor(readonly options: PoolOptions, readonly listener: PoolListener) {
    if (!Number.isInteger(options.processes) || options.processes < 1) {
      throw new RangeError("a sandbox pool needs at least one process");
    }
  }

  /** Starts every process; resolves when all are ready. */
  async start(): Promise<void> {
    for (let i = 0; i < this.options.processes; i++) {
      this.#processes.push(new SandboxProcess(i, this.options, this.listener));
    }
    await Promise.all(this.#processes.map((p) => p.start()));
  }

  #processOf(key: WorkerKey): SandboxProcess {
    const process = this.#processes[processIndex(key.guildId, this.#processes.length)];
    if (!process) throw new Error("the sandbox pool is not started");
    return process;
  }

  /** Process ids, by index (for supervision and tests). */
  pids(): (number | undefined)[] {
    return this.#processes.map((p) => p.pid);
  }

  /** The process index a guild's workers live in. */
  indexOf(guildId: string): number {
    return processIndex(guildId, this.#processes.length);
  }

  /** Starts a worker and sends it its script. */
  spawn(key: WorkerKey, load: LoadMessage): Promise<void> {
    const process = this.#processOf(key);
    process.workers.set(keyId(key), key);
    return process.send({ ...key, v: PROTOCOL_VERSION, type: "spawn", load });
  }

  /** Relays an event or a call result to a worker. */
  send(key: WorkerKey, message: ToWorkerMessage["message"]): Promise<void> {
    return this.#processOf(key).send({ ...key, v: PROTOCOL_VERSION, type: "toWorker", message });
  }

  /** Stops a worker. */
  terminate(key: WorkerKey): Promise<void> {
    const process = this.#processOf(key);
    process.workers.delete(keyId(key));
    return process.send({ ...key, v: PROTOCOL_VERSION, type: "terminate" });
  }

  /** Stops every process. */
  async close(): Promise<void> {
    await Promise.all(this.#processes.map((p) => p.close()));
  }
}
