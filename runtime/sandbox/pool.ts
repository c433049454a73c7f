/**
 * The host's side of the sandbox processes: spawns them, maps each guild to
 * one by a stable hash, relays protocol messages, and restarts a process
 * that dies (a worker's heap exhaustion aborts its whole process, never the
 * host). A restart swaps in a standby process started ahead of need (its
 * `init` done and its spare workers warm) when there is one, and starts the
 * next standby in the background a moment later.
 *
 * @module
 */

import { setPriority } from "node:os";
import { defaultTransport, type LinkTransport, socketPermissionFlags } from "./host_link.ts";
import { type LinkedProcess, LinkListener } from "./link_listener.ts";
import { NdjsonWriter, readNdjson } from "./ndjson.ts";
import {
  type HostToProcess,
  type LoadMessage,
  type ProcessMemory,
  processMemoryOf,
  type ProcessToHost,
  PROTOCOL_VERSION,
  type SandboxLimits,
  type ToWorkerMessage,
  type WorkerExitReason,
  type WorkerKey,
  workerKeyId,
} from "./protocol/mod.ts";
import { lexerReady, sealScript } from "./script_imports.ts";
import { checkLiveness, DEFAULT_LIVENESS_MS } from "./liveness.ts";
import { blameProcessExit, unresolvedSuspects } from "./exit_blame.ts";

const PROCESS_MAIN = new URL("./process_main.ts", import.meta.url);
/** A worker reported silent this recently when its process died is blamed for it, ms. */
const SUSPECT_WINDOW_MS = 1_000;
/**
 * How long after a standby is taken before its replacement starts, ms: the
 * restart's cold starts (tens of ms each) get the CPU first, and a second
 * crash soon after still finds a standby. (A standby that dies on its own is
 * replaced after this, doubling while it keeps dying, up to a minute.)
 */
const STANDBY_REFILL_DELAY_MS = 250;
/**
 * How long a guild moved to a process of its own (after a process death with
 * several suspects) stays apart, ms: long enough for a repeat attack to show
 * who it was, short enough that an innocent neighbour does not keep a process's
 * memory for long. Counted again from each unexplained death it was part of.
 */
const ISOLATION_MS = 10 * 60_000;
/** Deployments whose sealing outcome the pool remembers (see `SandboxPool#seal`). */
const SEALS_KEPT = 1_000;

/** A sealed script as the pool keeps it: rewritten code, or null when it runs as it is. */
type SealOutcome = { ok: true; code: string | null } | { ok: false; error: string };

export interface PoolOptions {
  /** Number of sandbox processes. */
  processes: number;
  /** The bundled worker runtime (see `worker_bundle.ts`). */
  workerRuntime: string;
  limits: SandboxLimits;
  /** V8 old-space limit of each sandbox process, in MiB. */
  heapMb: number;
  /**
   * Standby processes kept started (initialised, spare workers warm) and
   * swapped in the instant a sandbox process dies, so its guilds restart
   * without waiting for a new process (default 0; flora's default is 1,
   * `FLORA_SANDBOX_STANDBY`). Each costs an idle process's memory.
   */
  standby?: number;
  /**
   * Niceness of each sandbox process (default 0). With hundreds of busy worker
   * threads, the scheduler's per-thread fairness would starve the host's one
   * main thread (gateway, routing, Discord calls for every guild): a higher
   * niceness keeps the host first and gives the workers what is left.
   */
  nice?: number;
  /**
   * How the host and its sandbox processes talk (see `host_link.ts`): a Unix
   * socket by default where there are Unix sockets, else stdio.
   */
  transport?: LinkTransport;
  /**
   * Keep V8's memory reducer on in the sandbox processes (default off). It
   * garbage-collects each isolate a few times after it goes quiet: with
   * hundreds of workers that is about a core for half a minute after a burst
   * of cold starts, and a third of the throughput at 500 guilds, to save
   * about 2 MiB per resident worker (measured here; `docs/operations.md`).
   */
  memoryReducer?: boolean;
  /**
   * Cap on each isolate's young-generation semi-space, MiB (`--max-semi-space-size`);
   * absent: V8's own. Without the memory reducer, a worker's young generation stays as
   * large as its busiest moment made it; this bounds that (measured in `bench/memory_soak.ts`).
   */
  semiSpaceMb?: number;
  /**
   * Receives what the sandbox processes write to stderr (V8's out-of-memory report when one
   * aborts, above all). Default: this process's stderr. Tests that crash processes on purpose
   * collect it, and show it only when they fail.
   */
  stderr?: (text: string) => void;
  /**
   * A ready sandbox process the host has not heard from for this long
   * (not even its heartbeat) is killed and replaced, ms (default
   * {@linkcode DEFAULT_LIVENESS_MS}; `FLORA_SANDBOX_LIVENESS_MS`).
   */
  livenessMs?: number;
  /**
   * Most guilds kept in sandbox processes of their own at once after
   * unexplained process deaths (each costs an idle process's memory, about
   * 60 MiB); suspects beyond it stay where they are.
   * @default 4
   */
  maxIsolated?: number;
}

/** Default of {@linkcode PoolOptions.maxIsolated}. */
const DEFAULT_MAX_ISOLATED = 4;

/** A script the pool will not start (it imports modules); the message says what to change. */
export class ScriptRefused extends Error {
  override name = "ScriptRefused";
}

/** What the pool reports to its owner. */
export interface PoolListener {
  /** A worker posted something (untrusted). */
  workerMessage(key: WorkerKey, message: unknown): void;
  /** The process stopped a worker (watchdog) or the worker died. */
  workerExit(key: WorkerKey, reason: WorkerExitReason | "process", detail: string): void;
  /** The process handed these events to the worker (they are no longer safe to deliver again). */
  eventsStarted?(key: WorkerKey, ids: number[]): void;
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
interface ChildOwner {
  message(child: SandboxChild, message: ProcessToHost): void;
  exited(child: SandboxChild, status: Deno.CommandStatus): void;
}

/**
 * One sandbox child process: spawned, sent `init`, read until it exits. It
 * serves a process slot, or waits as a standby (initialised, its spare
 * workers warm) until a slot's process dies.
 */
class SandboxChild {
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
    const child = new Deno.Command(Deno.execPath(), {
      // No permission flags but the host's socket: the process can reach that one path,
      // its workers nothing. No config, remote or npm code either, so a script's import()
      // reaches nothing outside its bundle.
      args: [
        "run",
        ...(link ? socketPermissionFlags(link.path) : []),
        "--unstable-worker-options",
        "--no-prompt",
        "--no-config",
        "--no-lock",
        "--no-remote",
        "--no-npm",
        // No code from strings (eval, new Function): a script could otherwise write an
        // import() that script_imports.ts never saw.
        `--v8-flags=--max-old-space-size=${this.options.heapMb},` +
        `--disallow-code-generation-from-strings${
          this.options.memoryReducer ? "" : ",--no-memory-reducer"
        }${
          this.options.semiSpaceMb === undefined
            ? ""
            : `,--max-semi-space-size=${this.options.semiSpaceMb}`
        }`,
        PROCESS_MAIN.href,
        ...(link ? [`--socket=${link.path}`] : []),
      ],
      // Only what Deno needs to find its cache: nothing else of the host's environment.
      env: passThroughEnv(["DENO_DIR", "HOME", "XDG_CACHE_HOME"]),
      clearEnv: true,
      stdin: link ? "null" : "piped",
      stdout: link ? "null" : "piped",
      stderr: options.stderr ? "piped" : "inherit",
    }).spawn();
    if (options.stderr) forwardText(child.stderr, options.stderr);
    if (options.nice) {
      try {
        setPriority(child.pid, options.nice);
      } catch (error) {
        console.error(`flora: could not lower the sandbox process's priority: ${error}`);
      }
    }
    this.child = child;
    let resolveReady!: () => void;
    this.ready = new Promise((resolve) => (resolveReady = resolve));
    const linked: Promise<LinkedProcess> = link
      ? link.expect(child.pid)
      : Promise.resolve({ messages: readNdjson(child.stdout), output: child.stdin });
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

  async #read(messages: AsyncIterable<unknown>, ready: () => void): Promise<void> {
    try {
      for await (const raw of messages) {
        this.lastHeardAt = performance.now();
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

/** One supervised sandbox process slot (index), served by one child at a time. */
class SandboxProcess implements ChildOwner {
  #current: SandboxChild | null = null;
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
    /** A started standby to take over at once, if the pool has one. */
    readonly takeStandby: () => SandboxChild | null,
    readonly link: LinkListener | null,
    /** Moves these guilds to processes of their own (a death it could not attribute). */
    readonly isolate: (guildIds: string[], detail: string) => void,
    /** The one guild this process holds, when it was moved apart; null: a shared slot. */
    readonly isolatedGuild: string | null = null,
  ) {}

  /** How logs name it. */
  get name(): string {
    return this.isolatedGuild === null
      ? `sandbox process ${this.index}`
      : `the sandbox process of guild ${this.isolatedGuild} alone`;
  }

  get pid(): number | undefined {
    return this.#current?.pid;
  }

  /** The child serving this slot now (null between a death and its replacement). */
  get current(): SandboxChild | null {
    return this.#current;
  }

  start(): Promise<void> {
    return this.#adopt(new SandboxChild(this.options, this, this.link));
  }

  #adopt(child: SandboxChild): Promise<void> {
    child.owner = this;
    this.#current = child;
    return child.ready;
  }

  message(child: SandboxChild, message: ProcessToHost): void {
    if (child !== this.#current) return;
    switch (message.type) {
      case "fromWorker":
        this.listener.workerMessage(
          { guildId: message.guildId, deploymentId: message.deploymentId },
          message.message,
        );
        break;
      case "workerSilent":
        this.#silent.set(workerKeyId(message), performance.now());
        break;
      case "eventsStarted":
        this.listener.eventsStarted?.(
          { guildId: message.guildId, deploymentId: message.deploymentId },
          message.ids,
        );
        break;
      case "workerExit": {
        const key = { guildId: message.guildId, deploymentId: message.deploymentId };
        this.workers.delete(workerKeyId(key));
        this.listener.workerExit(key, message.reason, message.detail);
        break;
      }
    }
  }

  exited(child: SandboxChild, status: Deno.CommandStatus): void {
    if (this.#current !== child) return;
    this.#current = null;
    const lost = [...this.workers.values()];
    this.workers.clear();
    const silentSince = performance.now() - SUSPECT_WINDOW_MS;
    const suspects = new Set(
      [...this.#silent].filter(([, at]) => at >= silentSince).map(([id]) => id),
    );
    this.#silent.clear();
    if (this.#closing) return;
    const detail = child.killedFor ??
      (status.signal
        ? `${this.name} was killed by ${status.signal}`
        : `${this.name} exited with code ${status.code}`);
    this.restarts++;
    // Bring the process back first, so owners can re-spawn their workers at once: a
    // standby (already initialised, spare workers warm) if there is one, else a new one.
    const standby = this.takeStandby();
    if (standby) this.#adopt(standby);
    else this.start();
    // Before the owners hear of it, so the suspects' restarts already go apart.
    const unresolved = unresolvedSuspects(lost, suspects);
    if (unresolved.length > 0) this.isolate(unresolved, detail);
    const isolated = this.isolatedGuild !== null;
    for (const { key, reason, detail: why } of blameProcessExit(lost, suspects, detail, isolated)) {
      this.listener.workerExit(key, reason, why);
    }
  }

  /**
   * Writes to the current child once it is ready. A message whose child died
   * meanwhile is dropped: its workers were reported lost, and the new child
   * must not receive what was meant for them.
   */
  async send(message: HostToProcess): Promise<void> {
    const child = this.#current;
    if (!child) return;
    await child.ready;
    if (child !== this.#current || !child.writer) return;
    await child.writer.write(message).catch(() => {});
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#current?.close();
  }
}

/** The set of sandbox processes, addressed by worker key. */
export class SandboxPool {
  #processes: SandboxProcess[] = [];
  /** Started, initialised processes waiting to replace one that dies. */
  #standbys: SandboxChild[] = [];
  #refill: ReturnType<typeof setTimeout> | undefined;
  /** Standbys that exited on their own in a row (backs off their replacement). */
  #standbyFailures = 0;
  #closed = false;
  #liveness: ReturnType<typeof setInterval> | undefined;
  /** Sealing outcomes by deployment id, oldest first (see `#seal`). */
  #seals = new Map<string, SealOutcome>();
  #livenessCheckedAt: number | null = null;
  /** Guilds moved to processes of their own, and until when (`Date.now()` ms). */
  #isolated = new Map<string, { process: SandboxProcess; until: number }>();
  #link: LinkListener | null = null;
  /** A standby hosts no workers; if it dies, it is replaced after a pause. */
  readonly #standbyOwner: ChildOwner = {
    message: () => {},
    exited: (child) => {
      const i = this.#standbys.indexOf(child);
      if (i < 0) return;
      this.#standbys.splice(i, 1);
      this.#standbyFailures++;
      this.#scheduleRefill(
        Math.min(60_000, STANDBY_REFILL_DELAY_MS * 2 ** Math.min(this.#standbyFailures, 8)),
      );
    },
  };

  constructor(readonly options: PoolOptions, readonly listener: PoolListener) {
    if (!Number.isInteger(options.processes) || options.processes < 1) {
      throw new RangeError("a sandbox pool needs at least one process");
    }
  }

  /** Starts every process; resolves when all are ready (standbys start after, unawaited). */
  async start(): Promise<void> {
    await lexerReady;
    if ((this.options.transport ?? defaultTransport()) === "unix") {
      this.#link = await LinkListener.open();
    }
    for (let i = 0; i < this.options.processes; i++) {
      this.#processes.push(
        new SandboxProcess(
          i,
          this.options,
          this.listener,
          () => this.#takeStandby(),
          this.#link,
          (guildIds, detail) => this.#isolate(guildIds, detail),
        ),
      );
    }
    await Promise.all(this.#processes.map((p) => p.start()));
    this.#fillStandbys();
    const silenceMs = this.options.livenessMs ?? DEFAULT_LIVENESS_MS;
    this.#liveness = setInterval(() => {
      this.#checkLiveness(silenceMs);
      this.#releaseIsolated();
    }, silenceMs / 5);
  }

  /** Process ids of the standbys started now, ready or starting (for supervision and tests). */
  standbyPids(): number[] {
    return this.#standbys.map((c) => c.pid);
  }

  /**
   * Kills every ready process (serving or standby) the host has not heard
   * from for `silenceMs`: its slot takes a standby and its guilds' unstarted
   * events go there, as after a crash. Nobody is blamed for it (reason
   * `process`) unless a worker of it was reported silent just before.
   */
  #checkLiveness(silenceMs: number): void {
    const now = performance.now();
    const processes = [...this.#processes, ...[...this.#isolated.values()].map((i) => i.process)];
    const children = [
      ...processes.flatMap((p) => (p.current ? [p.current] : [])),
      ...this.#standbys,
    ];
    const { late, silent } = checkLiveness(children, now, this.#livenessCheckedAt, {
      silenceMs,
      checkEveryMs: silenceMs / 5,
    });
    this.#livenessCheckedAt = now;
    if (late) {
      // The host itself was stalled: what looked like silence may be its own.
      for (const child of children) child.lastHeardAt = now;
      return;
    }
    for (const { process: child, silentMs } of silent) {
      const name = processes.find((p) => p.current === child)?.name ??
        "a standby sandbox process";
      const reason = `${name} (pid ${child.pid}) stopped answering for ${silentMs} ms ` +
        "(stopped, deadlocked or swapping); it was killed and replaced";
      console.error(`flora: ${reason}`);
      child.killUnresponsive(reason);
    }
  }

  /** A standby for a slot whose process died: a ready one first, else the oldest starting. */
  #takeStandby(): SandboxChild | null {
    if (this.#closed) return null;
    const ready = this.#standbys.findIndex((c) => c.isReady);
    const [child] = this.#standbys.splice(ready >= 0 ? ready : 0, 1);
    if (!child) return null;
    // The replacement waits, so the restart's cold starts get the CPU first.
    this.#scheduleRefill(STANDBY_REFILL_DELAY_MS);
    return child;
  }

  #scheduleRefill(delayMs: number): void {
    if (this.#closed || this.#refill !== undefined) return;
    this.#refill = setTimeout(() => {
      this.#refill = undefined;
      this.#fillStandbys();
    }, delayMs);
  }

  #fillStandbys(): void {
    while (!this.#closed && this.#standbys.length < (this.options.standby ?? 0)) {
      const child = new SandboxChild(this.options, this.#standbyOwner, this.#link);
      child.ready.then(() => {
        if (child.isReady) this.#standbyFailures = 0;
      });
      this.#standbys.push(child);
    }
  }

  /**
   * Moves guilds that were among several suspects of a process death to
   * processes of their own (their next workers start there; each is started
   * now, without taking a standby): a repeat death there is that guild's
   * alone. At most `maxIsolated` at once.
   */
  #isolate(guildIds: string[], detail: string): void {
    if (this.#closed) return;
    const until = Date.now() + ISOLATION_MS;
    const moved: string[] = [];
    for (const guildId of guildIds) {
      const isolated = this.#isolated.get(guildId);
      if (isolated) {
        isolated.until = until;
        continue;
      }
      if (this.#isolated.size >= (this.options.maxIsolated ?? DEFAULT_MAX_ISOLATED)) break;
      const process = new SandboxProcess(
        processIndex(guildId, this.#processes.length),
        this.options,
        this.listener,
        () => null, // a standby is for the shared processes' neighbours
        this.#link,
        (ids, why) => this.#isolate(ids, why),
        guildId,
      );
      this.#isolated.set(guildId, { process, until });
      process.start();
      moved.push(guildId);
    }
    if (moved.length > 0) {
      console.error(
        `flora: ${detail} with ${guildIds.length} scripts not responding; ` +
          `guild${moved.length > 1 ? "s" : ""} ${moved.join(", ")} now run in sandbox ` +
          `processes of their own for ${ISOLATION_MS / 60_000} min, so a repeat shows which it was`,
      );
    }
  }

  /** Closes the processes of guilds whose time apart is over, once they hold no worker. */
  #releaseIsolated(): void {
    const now = Date.now();
    for (const [guildId, { process, until }] of this.#isolated) {
      if (until > now || process.workers.size > 0) continue;
      this.#isolated.delete(guildId);
      process.close();
    }
  }

  /** Where a guild's next worker starts: its own process while it is kept apart, else its slot. */
  #placeFor(guildId: string): SandboxProcess {
    const isolated = this.#isolated.get(guildId);
    if (isolated && isolated.until > Date.now()) return isolated.process;
    const process = this.#processes[processIndex(guildId, this.#processes.length)];
    if (!process) throw new Error("the sandbox pool is not started");
    return process;
  }

  /** The process a worker lives in (where its guild's next one would start, if none). */
  #processOf(key: WorkerKey): SandboxProcess {
    const isolated = this.#isolated.get(key.guildId)?.process;
    if (isolated?.workers.has(workerKeyId(key))) return isolated;
    const shared = this.#processes[processIndex(key.guildId, this.#processes.length)];
    if (shared?.workers.has(workerKeyId(key))) return shared;
    return this.#placeFor(key.guildId);
  }

  /** Guilds kept in processes of their own now, with those processes' ids (for supervision and tests). */
  isolatedPids(): Map<string, number | undefined> {
    return new Map([...this.#isolated].map(([guildId, { process }]) => [guildId, process.pid]));
  }

  /** Process ids, by index (for supervision and tests). */
  pids(): (number | undefined)[] {
    return this.#processes.map((p) => p.pid);
  }

  /** Each process's memory at its latest heartbeat, by index (null: none yet, or restarting). */
  memory(): (ProcessMemory | null)[] {
    return this.#processes.map((p) => p.current?.memory ?? null);
  }

  /** The process index a guild's workers live in. */
  indexOf(guildId: string): number {
    return processIndex(guildId, this.#processes.length);
  }

  /**
   * Starts a worker and sends it its script, its module loading sealed
   * (`script_imports.ts`); rejects, starting nothing, when the script imports
   * a module.
   */
  spawn(key: WorkerKey, load: LoadMessage): Promise<void> {
    const sealed = this.#seal(load);
    if (!sealed.ok) return Promise.reject(new ScriptRefused(sealed.error));
    const process = this.#placeFor(key.guildId);
    process.workers.set(workerKeyId(key), key);
    const message = { ...load, code: sealed.code ?? load.code };
    return process.send({ ...key, v: PROTOCOL_VERSION, type: "spawn", load: message });
  }

  /**
   * Seals a deployment's script once: lexing takes the host's thread (about 140 ms per MiB,
   * measured under load), and a deployment's code never changes. Only rewritten code is kept
   * (null: run as is), so the cache holds no copy of ordinary bundles.
   */
  #seal(load: LoadMessage): SealOutcome {
    const cached = this.#seals.get(load.deploymentId);
    if (cached) return cached;
    const sealed = sealScript(load.code);
    const outcome: SealOutcome = sealed.ok
      ? { ok: true, code: sealed.code === load.code ? null : sealed.code }
      : sealed;
    this.#seals.set(load.deploymentId, outcome);
    if (this.#seals.size > SEALS_KEPT) this.#seals.delete(this.#seals.keys().next().value!);
    return outcome;
  }

  /**
   * Relays an event or a call result to a worker. Never rejects: a message to
   * a process that died is dropped (its workers are reported lost instead).
   */
  send(key: WorkerKey, message: ToWorkerMessage["message"]): Promise<void> {
    return this.#processOf(key).send({ ...key, v: PROTOCOL_VERSION, type: "toWorker", message });
  }

  /** Lets the worker's running event run `ms` longer (a CPU burst the host granted); never rejects. */
  extendBudget(key: WorkerKey, ms: number): Promise<void> {
    return this.#processOf(key).send({ ...key, v: PROTOCOL_VERSION, type: "extendBudget", ms });
  }

  /** Stops a worker. Never rejects, like {@linkcode send}. */
  terminate(key: WorkerKey): Promise<void> {
    const process = this.#processOf(key);
    process.workers.delete(workerKeyId(key));
    return process.send({ ...key, v: PROTOCOL_VERSION, type: "terminate" });
  }

  /** Stops every process, standbys included. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#refill);
    clearInterval(this.#liveness);
    const standbys = this.#standbys.splice(0);
    const isolated = [...this.#isolated.values()].map((i) => i.process);
    this.#isolated.clear();
    await Promise.all([
      ...this.#processes.map((p) => p.close()),
      ...isolated.map((p) => p.close()),
      ...standbys.map((c) => c.close()),
    ]);
    await this.#link?.close();
  }
}
