/**
 * One sandbox child process as the host sees it: spawned with no permissions
 * but the host's socket, sent `init`, read until it exits (its heartbeats keep
 * its liveness and memory current).
 *
 * @module
 */

import { socketPermissionFlags } from "./host_link.ts";
import { lowerPriority } from "./process_priority.ts";
import { pinnedCommand } from "./cpu_affinity.ts";
import type { LinkedProcess, LinkListener } from "./link_listener.ts";
import { NdjsonWriter, readNdjsonBatches } from "./ndjson.ts";
import {
  type HostToProcess,
  type ProcessMemory,
  processMemoryOf,
  type ProcessToHost,
  PROTOCOL_VERSION,
} from "./protocol/mod.ts";
import type { PoolOptions } from "./pool_types.ts";
import { sandboxV8Flags } from "./v8_flags.ts";

const PROCESS_MAIN = new URL("./process_main.ts", import.meta.url);

/** Hands a stream's text to `sink` until it ends. */
async function forwardText(stream: ReadableStream<Uint8Array>, sink: (text: string) => void) {
  try {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) sink(text);
  } catch { /* the process is gone */ }
}

function passThroughEnv(names: string[]): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of names) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Where a child's messages and its exit go: the slot it serves, or the pool's standby list. */
export interface ChildOwner {
  message(child: SandboxChild, message: ProcessToHost): void;
  exited(child: SandboxChild, status: Deno.CommandStatus): void;
}

/**
 * One sandbox child process: spawned, sent `init`, read until it exits. It
 * serves a process slot, or waits as a standby (initialised, its spare
 * workers warm) until a slot's process dies.
 */
export class SandboxChild {
  readonly child: Deno.ChildProcess;
  /** Where messages to the process go, once it is connected (null before, or if it never was). */
  writer: NdjsonWriter | null = null;
  /** Resolves on the process's `ready` (or when it exits before that). */
  readonly ready: Promise<void>;
  isReady = false;
  /** `performance.now()` when the host last read a message from the process. */
  lastHeardAt = performance.now();
  /** Why the host killed it, if it did (the exit then says this rather than the signal). */
  killedFor: string | null = null;
  /** Its memory at its latest heartbeat (null before the first). */
  memory: ProcessMemory | null = null;

  constructor(
    readonly options: PoolOptions,
    public owner: ChildOwner,
    /** The host's socket; null: stdio. */
    link: LinkListener | null,
  ) {
    // No permission flags but the host's socket: the process can reach that one path,
    // its workers nothing. No config, remote or npm code either, so a script's import()
    // reaches nothing outside its bundle.
    const args = [
      "run",
      ...(link ? socketPermissionFlags(link.path) : []),
      "--unstable-worker-options",
      "--no-prompt",
      "--no-config",
      "--no-lock",
      "--no-remote",
      "--no-npm",
      sandboxV8Flags(this.options),
      ...(this.options.cpuProfile
        ? [
          "--cpu-prof",
          `--cpu-prof-dir=${this.options.cpuProfile.dir}`,
          `--cpu-prof-interval=${this.options.cpuProfile.intervalUs}`,
        ]
        : []),
      PROCESS_MAIN.href,
      ...(link ? [`--socket=${link.path}`] : []),
    ];
    // On the operator's CPUs from the start, so every thread the process starts inherits them.
    const [command, commandArgs] = options.cpus
      ? pinnedCommand(options.cpus.taskset, options.cpus.sandboxes, Deno.execPath(), args)
      : [Deno.execPath(), args];
    const child = new Deno.Command(command, {
      args: commandArgs,
      // Only what Deno needs to find its cache, and glibc's malloc tuning (an operator's
      // choice; the process cannot read its environment): nothing else of the host's.
      env: passThroughEnv([
        "DENO_DIR",
        "HOME",
        "XDG_CACHE_HOME",
        "MALLOC_ARENA_MAX",
        "MALLOC_TRIM_THRESHOLD_",
        "MALLOC_TOP_PAD_",
        "MALLOC_MMAP_THRESHOLD_",
      ]),
      clearEnv: true,
      stdin: link ? "null" : "piped",
      stdout: link ? "null" : "piped",
      stderr: options.stderr ? "piped" : "inherit",
    }).spawn();
    if (options.stderr) forwardText(child.stderr, options.stderr);
    if (options.nice) {
      try {
        lowerPriority(child.pid, options.nice);
      } catch (error) {
        console.error(`flora: could not lower the sandbox process's priority: ${error}`);
      }
    }
    this.child = child;
    let resolveReady!: () => void;
    this.ready = new Promise((resolve) => (resolveReady = resolve));
    const linked: Promise<LinkedProcess> = link
      ? link.expect(child.pid)
      : Promise.resolve({ messages: readNdjsonBatches(child.stdout), output: child.stdin });
    // Senders waiting for `ready` must not hang on a process that died starting.
    child.status.then((status) => {
      link?.forget(child.pid, "the sandbox process exited before it connected");
      resolveReady();
      this.owner.exited(this, status);
    });
    linked.then(({ messages, output }) => {
      this.writer = new NdjsonWriter(output);
      this.#read(messages, resolveReady);
      this.writer.write(
        {
          v: PROTOCOL_VERSION,
          type: "init",
          workerRuntime: this.options.workerRuntime,
          limits: this.options.limits,
        } satisfies HostToProcess,
      ).catch(() => {});
    }, () => this.#kill());
  }

  get pid(): number {
    return this.child.pid;
  }

  async #read(messages: AsyncIterable<unknown[]>, ready: () => void): Promise<void> {
    try {
      for await (const batch of messages) {
        this.lastHeardAt = performance.now();
        for (const raw of batch) {
          const message = raw as ProcessToHost;
          if (message.type === "alive") {
            this.memory = processMemoryOf(message.memory) ?? this.memory;
            continue;
          }
          if (message.type === "ready") {
            this.isReady = true;
            ready();
          } else this.owner.message(this, message);
        }
      }
    } catch {
      // The pipe broke: the exit handler takes over.
    }
  }

  #kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  /** Kills a process that stopped answering; its exit reports `reason`. */
  killUnresponsive(reason: string): void {
    this.killedFor ??= reason;
    this.#kill();
  }

  /** Closes its input (the process exits), killing it if it has not after 2 s. */
  async close(): Promise<void> {
    if (this.writer) await this.writer.close().catch(() => {});
    else this.#kill(); // never connected: nothing to tell it
    const timer = setTimeout(() => this.#kill(), 2_000);
    await this.child.status;
    clearTimeout(timer);
  }
}
