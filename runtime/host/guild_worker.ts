/**
 * One worker running one deployment of one guild, as the host sees it, and
 * its lifecycle as one union of named states:
 *
 * ```
 * loading ──► candidate ──► serving ──► retiring ──► stopped
 *    │            │            │                        ▲
 *    └────────────┴────────────┴── (retire or stop) ────┘
 * ```
 *
 * - **loading**: the script is evaluating; {@linkcode GuildWorker.loaded} settles when it ends.
 * - **candidate**: loaded, serving nothing yet (a deploy's worker waits to be activated; a
 *   cold start's until its guild takes it).
 * - **serving**: takes its guild's events.
 * - **retiring**: replaced by a newer deployment; finishes its in-flight events, then stops.
 * - **stopped**: gone; nothing more happens to it.
 *
 * A deploy's worker also holds its guild's queue from loading until it is
 * activated, dropped or lost (nothing is cold-started meanwhile); the hold
 * lives in the `loading` and `candidate` states, the only ones that can have
 * it, so a stopped worker never keeps it. A worker stopped while loading
 * settles {@linkcode GuildWorker.loaded} ({@linkcode LoadStopped} when the
 * host stopped it), so whoever waits for the load (a cold start's slot, a
 * deploy) always hears back.
 *
 * Pure bookkeeping: the manager decides when to move a worker on and does
 * the work (processes, queues, timers' effects).
 *
 * @module
 */

import type { Deployment } from "../../storage/types.ts";
import type { CommandDefinition, WorkerKey } from "../sandbox/protocol/mod.ts";
import type { EffectTenure, QueuedEvent } from "./guild_queue.ts";
import { InflightEvents } from "./inflight_events.ts";

/** Why a load failed, as the author should read it. */
export class ScriptLoadError extends Error {
  override name = "ScriptLoadError";
  /**
   * @param neighbourCrash the load was cut short because its sandbox process died for another
   * guild's script: not this script's fault, so loading again may succeed.
   */
  constructor(message: string, readonly neighbourCrash = false) {
    super(message);
  }
}

/**
 * A load the host cut short on purpose (the worker was replaced or stopped
 * before its script finished loading): not the script's fault, and whoever
 * stopped it now owns the guild's events.
 */
export class LoadStopped extends ScriptLoadError {
  override name = "LoadStopped";
  constructor() {
    super("the worker was stopped before the script finished loading (replaced or shut down)");
  }
}

interface LoadSettlers {
  resolve(commands: CommandDefinition[]): void;
  reject(error: Error): void;
}

/** Where a worker is in its life; see the module doc for the order. */
export type WorkerState =
  | { name: "loading"; holdsQueue: boolean; settle: LoadSettlers }
  | { name: "candidate"; holdsQueue: boolean }
  | { name: "serving" }
  | { name: "retiring"; timer?: ReturnType<typeof setTimeout> }
  | { name: "stopped" };

/** The name of a {@linkcode WorkerState}. */
export type WorkerStateName = WorkerState["name"];

/** States each state may move to. */
const NEXT: Record<WorkerStateName, readonly WorkerStateName[]> = {
  loading: ["candidate", "retiring", "stopped"],
  candidate: ["serving", "retiring", "stopped"],
  serving: ["retiring", "stopped"],
  retiring: ["stopped"],
  stopped: [],
};

/**
 * A guild's worker: its identity, the events it has in flight, and its state.
 *
 * @example
 * ```ts
 * const worker = new GuildWorker(key, deployment, 0, { holdsQueue: false });
 * worker.markLoaded([]);   // loading → candidate; `worker.loaded` resolves with []
 * worker.serve();          // candidate → serving
 * worker.retire(setTimeout(stop, 10_000)); // serving → retiring
 * worker.stop();           // retiring → stopped (the timer is cleared)
 * ```
 */
export class GuildWorker {
  /** The next event's per-worker sequence number. */
  nextEventId = 1;
  /** Events sent and not yet done: id → event. */
  readonly inflight = new InflightEvents<QueuedEvent>();
  /** The worker thread's CPU time last reported, ms (usage is charged by its growth). */
  cpuMs = 0;
  /** When its batch in flight was sent (`performance.now()`); 0 once its first event started. */
  sentAt = 0;
  /**
   * The partition tenure of the latest event sent to it under one (a cluster's bus event, cron
   * or task run): what its calls made for no event act under (`stray_calls.ts`).
   */
  tenure: EffectTenure | undefined;
  /** Resolves with the commands the script declared, or rejects with why it did not load. */
  readonly loaded: Promise<CommandDefinition[]>;
  #state: WorkerState;

  constructor(
    readonly key: WorkerKey,
    readonly deployment: Deployment,
    /** Index of the sandbox process it lives in. */
    readonly process: number,
    options: { holdsQueue: boolean },
  ) {
    let settle!: LoadSettlers;
    this.loaded = new Promise((resolve, reject) => (settle = { resolve, reject }));
    // Whoever waits for the load sees how it failed; a failure nobody waits for (a worker
    // stopped while loading) must not become the host's unhandled rejection.
    this.loaded.catch(() => {});
    this.#state = { name: "loading", holdsQueue: options.holdsQueue, settle };
  }

  /** A batch is being sent to it: remembers the latest tenure among its events. */
  delivered(batch: readonly QueuedEvent[]): void {
    for (let i = batch.length - 1; i >= 0; i--) {
      const tenure = batch[i].handover ?? batch[i].tenure;
      if (tenure) {
        this.tenure = tenure;
        return;
      }
    }
  }

  /** The current state's name. */
  get state(): WorkerStateName {
    return this.#state.name;
  }

  /** The script is still evaluating. */
  get loading(): boolean {
    return this.#state.name === "loading";
  }

  /** Takes its guild's events. */
  get serving(): boolean {
    return this.#state.name === "serving";
  }

  /** Finishes its in-flight events, then stops. */
  get retiring(): boolean {
    return this.#state.name === "retiring";
  }

  /** A deploy's worker holding its guild's queue (loading or candidate only). */
  get holdsQueue(): boolean {
    const s = this.#state;
    return (s.name === "loading" || s.name === "candidate") && s.holdsQueue;
  }

  /** loading → candidate: the script loaded; resolves {@linkcode loaded}. False if not loading. */
  markLoaded(commands: CommandDefinition[]): boolean {
    const s = this.#state;
    if (s.name !== "loading") return false;
    this.#to({ name: "candidate", holdsQueue: s.holdsQueue });
    s.settle.resolve(commands);
    return true;
  }

  /**
   * loading → stopped: the script did not load; rejects {@linkcode loaded}.
   * False if not loading.
   */
  failLoad(error: Error): boolean {
    const s = this.#state;
    if (s.name !== "loading") return false;
    this.#to({ name: "stopped" });
    s.settle.reject(error);
    return true;
  }

  /** Lets go of the guild's queue; true if it held it. */
  releaseQueue(): boolean {
    const s = this.#state;
    if ((s.name !== "loading" && s.name !== "candidate") || !s.holdsQueue) return false;
    s.holdsQueue = false;
    return true;
  }

  /** candidate → serving (already serving: nothing changes). */
  serve(): void {
    if (this.#state.name === "serving") return;
    this.#to({ name: "serving" });
  }

  /** → retiring, stopped by `timer` unless its in-flight events finish first. */
  retire(timer?: ReturnType<typeof setTimeout>): void {
    this.#to({ name: "retiring", timer });
  }

  /**
   * → stopped, from any state (clears a retiring worker's timer). A load still
   * running settles: {@linkcode loaded} rejects with {@linkcode LoadStopped}.
   */
  stop(): void {
    if (this.#state.name === "stopped") return;
    if (this.failLoad(new LoadStopped())) return;
    this.#to({ name: "stopped" });
  }

  /** Clears a retiring worker's timer without moving it on (shutdown). */
  clearTimer(): void {
    if (this.#state.name === "retiring") clearTimeout(this.#state.timer);
  }

  /** Every transition goes through here: checks it is allowed, then leaves the old state. */
  #to(next: WorkerState): void {
    const from = this.#state.name;
    if (!NEXT[from].includes(next.name)) {
      throw new Error(`a ${from} worker cannot become ${next.name} (${this.key.deploymentId})`);
    }
    this.clearTimer();
    this.#state = next;
  }
}
