/**
 * The host's side of the sandbox processes: spawns them, maps each guild to
 * one by a stable hash, relays protocol messages, and restarts a process
 * that dies (a worker's heap exhaustion aborts its whole process, never the
 * host). A restart swaps in a standby process started ahead of need (its
 * `init` done and its spare workers warm) when there is one, and starts the
 * next standby in the background a moment later.
 *
 * Its parts: `sandbox_child.ts` (one child process), `process_slot.ts` (a
 * supervised slot and its restarts), `standby_processes.ts`,
 * `isolated_guilds.ts` (suspects moved apart), `liveness_sweep.ts`,
 * `process_recycling.ts` (processes past their RSS ceiling replaced) and
 * `script_seals.ts`.
 *
 * @module
 */

import { defaultTransport } from "./host_link.ts";
import { LinkListener } from "./link_listener.ts";
import type { RawPart } from "./ndjson.ts";
import {
  type LoadMessage,
  type ProcessMemory,
  PROTOCOL_VERSION,
  type ToWorkerMessage,
  type WorkerKey,
  workerKeyId,
} from "./protocol/mod.ts";
import { lexerReady } from "./script_imports.ts";
import { DEFAULT_LIVENESS_MS } from "./liveness.ts";
import { type PoolListener, type PoolOptions, ScriptRefused } from "./pool_types.ts";
import { processIndex } from "./process_index.ts";
import { SandboxProcess } from "./process_slot.ts";
import { StandbyProcesses } from "./standby_processes.ts";
import { IsolatedGuilds } from "./isolated_guilds.ts";
import { DedicatedGuilds } from "./dedicated_guilds.ts";
import { LivenessSweep } from "./liveness_sweep.ts";
import { ScriptSeals } from "./script_seals.ts";
import { ProcessRecycling } from "./process_recycling.ts";
import { checkV8Flags } from "./v8_flags.ts";

export { type PoolListener, type PoolOptions, processIndex, ScriptRefused };

/** The set of sandbox processes, addressed by worker key. */
export class SandboxPool {
  #processes: SandboxProcess[] = [];
  #link: LinkListener | null = null;
  /** Started, initialised processes waiting to replace one that dies. */
  readonly #standbys: StandbyProcesses;
  #closed = false;
  #liveness: ReturnType<typeof setInterval> | undefined;
  readonly #livenessSweep = new LivenessSweep();
  readonly #seals = new ScriptSeals();
  /** Guilds moved to processes of their own, and until when. */
  readonly #isolated: IsolatedGuilds;
  /** Guilds the operator gave processes of their own (`FLORA_DEDICATED_GUILDS`). */
  readonly #dedicated: DedicatedGuilds;
  readonly #recycling: ProcessRecycling;

  constructor(readonly options: PoolOptions, readonly listener: PoolListener) {
    if (!Number.isInteger(options.processes) || options.processes < 1) {
      throw new RangeError("a sandbox pool needs at least one process");
    }
    this.#standbys = new StandbyProcesses(options, () => this.#link);
    const solo = {
      options,
      listener,
      link: () => this.#link,
      sharedProcesses: () => this.#processes.length,
    };
    this.#isolated = new IsolatedGuilds(solo);
    this.#dedicated = new DedicatedGuilds(solo);
    this.#recycling = new ProcessRecycling(
      { ceilingMb: options.rssCeilingMb ?? 0, minAgeMs: options.recycleMinAgeMs },
      listener,
    );
  }

  /** Starts every process; resolves when all are ready (standbys start after, unawaited). */
  async start(): Promise<void> {
    await lexerReady;
    await checkV8Flags(this.options.v8Flags ?? []);
    if ((this.options.transport ?? defaultTransport()) === "unix") {
      this.#link = await LinkListener.open();
    }
    for (let i = 0; i < this.options.processes; i++) {
      this.#processes.push(
        new SandboxProcess(
          i,
          this.options,
          this.listener,
          () => this.#closed ? null : this.#standbys.take(),
          this.#link,
          (guildIds, detail) => this.#isolated.isolate(guildIds, detail),
        ),
      );
    }
    await Promise.all(this.#processes.map((p) => p.start()));
    this.#standbys.fill();
    const silenceMs = this.options.livenessMs ?? DEFAULT_LIVENESS_MS;
    this.#liveness = setInterval(() => {
      this.#livenessSweep.sweep(
        [...this.#processes, ...this.#isolated.processes(), ...this.#dedicated.processes()],
        this.#standbys.children,
        silenceMs,
      );
      this.#isolated.release();
      this.#recycling.check([
        ...this.#processes,
        ...this.#isolated.processes(),
        ...this.#dedicated.processes(),
      ]);
    }, silenceMs / 5);
  }

  /** Process ids of the standbys started now, ready or starting (for supervision and tests). */
  standbyPids(): number[] {
    return this.#standbys.children.map((c) => c.pid);
  }

  /**
   * Where a guild's next worker starts: its dedicated process, or its own
   * process while it is kept apart, else its slot.
   */
  #placeFor(guildId: string): SandboxProcess {
    const dedicated = this.#dedicated.placeFor(guildId);
    if (dedicated) return dedicated;
    const isolated = this.#isolated.placeFor(guildId);
    if (isolated) return isolated;
    const process = this.#processes[processIndex(guildId, this.#processes.length)];
    if (!process) throw new Error("the sandbox pool is not started");
    return process;
  }

  /** The process a worker lives in (where its guild's next one would start, if none). */
  #processOf(key: WorkerKey): SandboxProcess {
    if (this.#dedicated.has(key.guildId)) return this.#placeFor(key.guildId);
    const isolated = this.#isolated.processOf(key.guildId);
    if (isolated?.holds(workerKeyId(key))) return isolated;
    const shared = this.#processes[processIndex(key.guildId, this.#processes.length)];
    if (shared?.holds(workerKeyId(key))) return shared;
    return this.#placeFor(key.guildId);
  }

  /** Guilds kept in processes of their own now, with those processes' ids (for supervision and tests). */
  isolatedPids(): Map<string, number | undefined> {
    return this.#isolated.pids();
  }

  /** Dedicated guilds whose process started, with its id (for supervision and tests). */
  dedicatedPids(): Map<string, number | undefined> {
    return this.#dedicated.pids();
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
    const sealed = this.#seals.seal(load);
    if (!sealed.ok) return Promise.reject(new ScriptRefused(sealed.error));
    const process = this.#placeFor(key.guildId);
    process.workers.set(workerKeyId(key), key);
    const message = { ...load, code: sealed.code ?? load.code };
    return process.send({ ...key, v: PROTOCOL_VERSION, type: "spawn", load: message });
  }

  /**
   * Relays an event or a call result to a worker. Never rejects: a message to
   * a process that died is dropped (its workers are reported lost instead).
   * `frames`: the events' gateway frames, one per event in order, carried raw
   * (`protocol/event_frames.ts`); the events then carry no payload.
   */
  send(
    key: WorkerKey,
    message: ToWorkerMessage["message"],
    frames?: readonly RawPart[],
  ): Promise<void> {
    const process = this.#processOf(key);
    return process.send({ ...key, v: PROTOCOL_VERSION, type: "toWorker", message }, frames);
  }

  /** Lets the worker's running event run `ms` longer (a CPU burst the host granted); never rejects. */
  extendBudget(key: WorkerKey, ms: number): Promise<void> {
    return this.#processOf(key).send({ ...key, v: PROTOCOL_VERSION, type: "extendBudget", ms });
  }

  /** Stops a worker. Never rejects, like {@linkcode send}. */
  terminate(key: WorkerKey): Promise<void> {
    return this.#processOf(key).terminate(key, { ...key, v: PROTOCOL_VERSION, type: "terminate" });
  }

  /** Stops every process, standbys included. */
  async close(): Promise<void> {
    this.#closed = true;
    const standbys = this.#standbys.stop();
    clearInterval(this.#liveness);
    const isolated = this.#isolated.stop();
    const dedicated = this.#dedicated.stop();
    await Promise.all([
      ...this.#processes.map((p) => p.close()),
      ...isolated.map((p) => p.close()),
      ...dedicated.map((p) => p.close()),
      ...standbys.map((c) => c.close()),
    ]);
    await this.#link?.close();
  }
}
