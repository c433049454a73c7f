/**
 * The live workers of every guild and the deploy lifecycle that moves them
 * on: a deploy loads a candidate beside the serving worker (holding the
 * guild's queue meanwhile), the switch makes it serve and retires the one it
 * replaces, which finishes its in-flight events and then stops. Cold starts
 * spawn their workers here too, and every stop goes through
 * {@linkcode WorkerLifecycle.stop}.
 *
 * The states themselves are `guild_worker.ts`; this module decides when a
 * worker moves on and does what each move means for its guild, its process
 * and the residency. It reaches the manager only through
 * {@linkcode LifecycleHost}.
 *
 * @module
 */

import type { Deployment } from "../../storage/types.ts";
import type { SandboxPool } from "../sandbox/pool.ts";
import type { CommandDefinition, WorkerKey } from "../sandbox/protocol/mod.ts";
import { loadMessage } from "./cold_start.ts";
import type { Guild } from "./guild_state.ts";
import { GuildWorker, ScriptLoadError } from "./guild_worker.ts";

/** What the lifecycle does with the sandbox pool: place, start and stop workers. */
export type WorkerPool = Pick<SandboxPool, "indexOf" | "spawn" | "terminate">;

/** The residency bookkeeping a worker's moves update (see `eviction.ts`). */
export interface ResidentGuilds {
  /** The guild's worker was just used. */
  touch(guildId: string): void;
  /** The guild has no resident worker any more. */
  remove(guildId: string): void;
  /** Starts or stops the idle sweep as residency changed. */
  check(): void;
}

/** What moving workers through their lifecycle needs from the sandbox manager. */
export interface LifecycleHost {
  /** The pool the workers live in (attached after the manager is built). */
  pool(): WorkerPool;
  /** The registered guild with this id, if any. */
  guild(guildId: string): Guild | undefined;
  /** The guild with this id, registered now if it was not. */
  ensureGuild(guildId: string): Guild;
  /** Sends what the guild's worker can take, starting one if needed. */
  pump(guild: Guild): void;
  /** Makes a loading worker serve its guild once its script loaded (as a cold start does). */
  serveOnceLoaded(guild: Guild, worker: GuildWorker, settled: (loaded: boolean) => void): void;
  /** The guild switched to another deployment: the old one's restart back-off no longer applies. */
  switched(guildId: string): void;
  /** Returns a stopped worker's in-flight slots to its process and settles those events. */
  forgetInflight(worker: GuildWorker): void;
  readonly resident: ResidentGuilds;
}

/**
 * Every live worker, including one loaded beside the active one and retiring
 * ones, and the moves between their states.
 *
 * @example
 * ```ts
 * const workers = new WorkerLifecycle(host, 10_000);
 * const commands = await workers.load(deployment); // a candidate beside the serving worker
 * workers.activate(deployment);                    // the switch; the old worker retires
 * ```
 */
export class WorkerLifecycle {
  /**
   * Live workers by guild, then deployment: looked up for every message a worker sends, and
   * two lookups by the key's own strings cost less than joining them into one id each time.
   */
  #workers = new Map<string, Map<string, GuildWorker>>();

  /** @param retireMs how long a retiring worker may finish its events before it is stopped. */
  constructor(readonly host: LifecycleHost, readonly retireMs: number) {}

  /** The live worker with this key; undefined once it was stopped. */
  worker(key: WorkerKey): GuildWorker | undefined {
    return this.#workers.get(key.guildId)?.get(key.deploymentId);
  }

  /**
   * Loads a deployment in a new worker, beside any active one. Resolves with
   * the commands the script declared, or rejects with {@linkcode ScriptLoadError}.
   * The new worker serves nothing until {@linkcode activate}; meanwhile the
   * guild's events go to the running worker, or wait if none runs.
   */
  load(deployment: Deployment): Promise<CommandDefinition[]> {
    const worker = this.spawn(deployment, { holdsQueue: true });
    this.host.ensureGuild(deployment.guildId).holds++;
    return this.startLoad(worker);
  }

  /** A new worker for a deployment, replacing a live one with the same key. */
  spawn(deployment: Deployment, options: { holdsQueue: boolean }): GuildWorker {
    const key = { guildId: deployment.guildId, deploymentId: deployment.id };
    const existing = this.worker(key);
    if (existing) this.stop(existing);
    const worker = new GuildWorker(
      key,
      deployment,
      this.host.pool().indexOf(deployment.guildId),
      options,
    );
    let ofGuild = this.#workers.get(key.guildId);
    if (!ofGuild) this.#workers.set(key.guildId, ofGuild = new Map());
    ofGuild.set(key.deploymentId, worker);
    return worker;
  }

  /** Starts the worker's script in its process; settles with {@linkcode GuildWorker.loaded}. */
  startLoad(worker: GuildWorker): Promise<CommandDefinition[]> {
    const { deployment } = worker;
    this.host.pool().spawn(worker.key, loadMessage(deployment)).catch((error) =>
      this.failLoad(worker, `could not start the sandbox: ${error}`)
    );
    return worker.loaded;
  }

  /**
   * Makes a loaded deployment serve its guild; the one it replaces finishes,
   * then stops. Its worker may have moved on since {@linkcode load} resolved:
   * - still **loading** (the deployment was loaded again meanwhile, e.g. two
   *   hosts' notices of it): it serves once loaded, as a cold start does;
   * - **gone** (it died before the switch): the deployment goes live anyway
   *   (its commands are registered by now) and starts on the guild's next event.
   */
  activate(deployment: Deployment): void {
    const worker = this.worker({ guildId: deployment.guildId, deploymentId: deployment.id }) ??
      null;
    const guild = this.host.ensureGuild(deployment.guildId);
    const previous = guild.worker;
    if (guild.deployment?.id !== deployment.id) this.host.switched(guild.id);
    guild.deployment = deployment;
    guild.worker = worker;
    if (worker) {
      this.#release(worker);
      if (worker.loading) this.host.serveOnceLoaded(guild, worker, () => {});
      else worker.serve();
      this.host.resident.touch(guild.id);
    } else this.host.resident.remove(guild.id);
    this.host.resident.check();
    if (previous && previous !== worker) this.#retire(previous);
    this.host.pump(guild);
  }

  /** Stops a loaded worker that will not be activated (e.g. failed checks after load). */
  discard(deployment: Deployment): void {
    const worker = this.worker({ guildId: deployment.guildId, deploymentId: deployment.id });
    if (!worker) return;
    const guild = this.host.guild(deployment.guildId);
    if (guild?.worker === worker) return;
    this.#release(worker);
    this.stop(worker);
    if (guild) this.host.pump(guild);
  }

  /** Stops a worker: it leaves its guild, its process and the residency. */
  stop(worker: GuildWorker): void {
    worker.clearTimer();
    const ofGuild = this.#workers.get(worker.key.guildId);
    if (ofGuild?.get(worker.key.deploymentId) !== worker) return;
    // A stopped worker holds no queue (the caller pumps the guild), and a load it cut short
    // settles (LoadStopped): a cold start frees its start slot, a deploy learns why.
    this.#release(worker);
    worker.stop();
    ofGuild.delete(worker.key.deploymentId);
    if (ofGuild.size === 0) this.#workers.delete(worker.key.guildId);
    this.host.forgetInflight(worker);
    const guild = this.host.guild(worker.key.guildId);
    if (guild?.worker === worker) {
      guild.worker = null;
      this.host.resident.remove(guild.id);
    }
    this.host.pool().terminate(worker.key); // never rejects: see SandboxPool.send
    this.host.resident.check();
  }

  /** Fails a loading worker's load (`neighbourCrash`: its process died for another guild). */
  failLoad(worker: GuildWorker, error: string, neighbourCrash = false): void {
    if (!worker.loading) return;
    const wasDeploy = worker.holdsQueue;
    this.#release(worker);
    worker.failLoad(new ScriptLoadError(error, neighbourCrash));
    this.stop(worker);
    // A failed deploy frees the queue it held: the running version takes it.
    const guild = this.host.guild(worker.key.guildId);
    if (guild && wasDeploy) this.host.pump(guild);
  }

  /** Clears every retiring worker's timer (shutdown). */
  clearTimers(): void {
    for (const ofGuild of this.#workers.values()) {
      for (const worker of ofGuild.values()) worker.clearTimer();
    }
  }

  /** A deploy's worker stops holding its guild's queue (activated, discarded, failed or lost). */
  #release(worker: GuildWorker): void {
    if (!worker.releaseQueue()) return;
    const guild = this.host.guild(worker.key.guildId);
    if (guild) guild.holds--;
  }

  #retire(worker: GuildWorker): void {
    if (worker.inflight.size === 0) {
      this.stop(worker);
      return;
    }
    worker.retire(setTimeout(() => this.stop(worker), this.retireMs));
  }
}
