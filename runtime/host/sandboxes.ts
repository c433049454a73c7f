/**
 * Guild sandboxes as the host sees them: which deployment serves each guild,
 * when its worker runs, and how events reach it.
 *
 * - **Lazy**: deployed guilds are known from storage, but a guild's worker
 *   starts on its first event (or cron job) and is evicted when idle or when
 *   too many are resident (least recently used first).
 * - **Backpressure**: events wait in a bounded per-guild queue
 *   ({@linkcode GuildQueue}); each guild and each sandbox process has a cap on
 *   events in flight. Chatty events are dropped past the backlog and
 *   counted; interactions and commands never are.
 * - **In order, once**: a guild's events go to one worker in arrival order.
 *   A redeploy loads the new version beside the old; events that arrive while
 *   no worker can take them are held and go to the new version.
 * - **Interactions** are acknowledged within Discord's 3 s even on a cold
 *   start ({@linkcode InteractionAcks}).
 *
 * @module
 */

import type { Deployment } from "../../storage/types.ts";
import type { SandboxPool } from "../sandbox/pool.ts";
import { RawJsonStore } from "../sandbox/raw_json.ts";
import {
  type CommandDefinition,
  type EventsDoneMessage,
  type ScriptEventName,
  startedAtOf,
  type WorkerExitReason,
  type WorkerKey,
} from "../sandbox/protocol/mod.ts";
import { abandonQueue, leaveStart } from "./cold_start.ts";
import { HeldGuilds, heldUntil } from "./batch_hold.ts";
import {
  batchMax,
  finishEvents,
  fullBatch,
  interactionId,
  observeStartDelay,
  sendBatch,
} from "./event_batches.ts";
import { StartedEvents } from "./guard/redelivery.ts";
import { RestartBackoff } from "./guard/restart_backoff.ts";
import { type Handover, queuedEvent, settle } from "./guild_queue.ts";
import { GuildCalls } from "./guild_calls.ts";
import { Eviction } from "./eviction.ts";
import { Guild } from "./guild_state.ts";
import { type GuildWorker, LoadStopped, ScriptLoadError } from "./guild_worker.ts";
import { IdleWaiter } from "./idle_sweep.ts";
import { InteractionAcks } from "./interaction_acks.ts";
import type { LogSink } from "./logs.ts";
import { FloraMetrics } from "./metrics.ts";
import { type ProcessLoad, ProcessLoads } from "./process_load.ts";
import type { ManagerHooks, OperationExecutor } from "./manager_hooks.ts";
import { RestartTimers } from "./restart_timers.ts";
import { strayTenure } from "./stray_calls.ts";
import { registerSchedulingGauges } from "./scheduling_gauges.ts";
import { type SchedulingOptions, schedulingOptions } from "./scheduling_options.ts";
import { chargeBatch } from "./usage_charges.ts";
import { WorkerFailures } from "./worker_failures.ts";
import { WorkerLifecycle } from "./worker_lifecycle.ts";
import { WorkerMessages } from "./worker_messages.ts";
import { WorkerMoves } from "./worker_moves.ts";

export type { ManagerHooks, OperationExecutor } from "./manager_hooks.ts";
export type { SchedulingOptions } from "./scheduling_options.ts";
export { LoadStopped, ScriptLoadError };

/** Routes events to guild sandboxes and serves what their workers ask. */
export class SandboxManager {
  /** Every guild with an active deployment. */
  #guilds = new Map<string, Guild>();
  #processes: ProcessLoads<Guild>;
  #messages: WorkerMessages;
  #pool: SandboxPool | null = null;
  /** Every live worker and the deploy lifecycle: load beside, switch, retire, stop. */
  #workers: WorkerLifecycle;
  /** Which guilds keep a resident worker: idle sweep, LRU cap. */
  #eviction: Eviction;
  #readySeen = false;
  /** Queued events' gateway frames, as bytes outside the JS heap (see raw_json.ts). */
  #frames = new RawJsonStore();
  /** Which in-flight events the processes have handed to workers (see guard/redelivery.ts). */
  #started = new StartedEvents();
  #failures: WorkerFailures;
  /** Guilds waiting out a restart back-off, with the timer that pumps them after. */
  #backoffTimers = new RestartTimers<Guild>();
  #closing = false;
  /** Idle workers' guilds whose chat events wait for more under load (`batch_hold.ts`). */
  #held = new HeldGuilds<Guild>((guild) => {
    // Draining too: a held guild's events go at the next sweep (nothing is held once closing).
    if (this.#guilds.get(guild.id) === guild) this.#pump(guild);
  });
  #drained = new IdleWaiter(() => this.#idle());
  /** Workers leaving a sandbox process that is being recycled, each between events. */
  #moves = new WorkerMoves({
    worker: (key) => this.#workers.worker(key),
    move: (worker) => {
      this.#workers.stop(worker);
      const guild = this.#guilds.get(worker.key.guildId);
      if (guild) this.#pump(guild);
    },
    forget: (key) => this.#p.terminate(key),
  });
  readonly options: SchedulingOptions;
  readonly metrics: FloraMetrics;
  readonly acks: InteractionAcks;
  /** How the scripts' and the host's calls run: counted, fenced, journaled. */
  #calls: GuildCalls;

  constructor(
    readonly operations: OperationExecutor,
    readonly logs: LogSink,
    options: Partial<SchedulingOptions> = {},
    metrics?: FloraMetrics,
    readonly hooks: ManagerHooks = {},
  ) {
    this.options = schedulingOptions(options);
    this.#processes = new ProcessLoads({
      maxInflight: this.options.maxInflightPerProcess,
      maxConcurrentStarts: this.options.maxConcurrentStarts,
    });
    this.#messages = new WorkerMessages(
      {
        worker: (key) => this.#workers.worker(key),
        loaded: (worker, message) => {
          this.hooks.onLoaded?.(worker.deployment, message);
          worker.markLoaded(message.commands);
        },
        loadFailed: (worker, error) => this.#workers.failLoad(worker, error),
        run: (guildId, op, args, origin, worker) => {
          // Made for no event (or for a fresh worker's `ready`): judged as the worker is now.
          const stray = origin?.handover ?? origin?.tenure
            ? undefined
            : strayTenure(worker, this.hooks.tenure);
          return this.acks.run(
            guildId,
            op,
            args,
            (g, o, a) => this.#calls.script(g, o, a, origin, stray),
          );
        },
        answer: (key, result) => this.#p.send(key, result),
        extendBudget: (key, ms) => this.#p.extendBudget(key, ms),
      },
      logs,
      hooks.onScriptLog && ((guildId, level, line) => hooks.onScriptLog!(guildId, level, line)),
    );
    this.metrics = metrics ?? new FloraMetrics();
    this.#calls = new GuildCalls(operations, logs, this.metrics, hooks);
    this.#eviction = new Eviction(
      { maxResident: this.options.maxResident, idleMs: this.options.idleMs },
      {
        guild: (guildId) => this.#guilds.get(guildId),
        stop: (worker) => this.#workers.stop(worker),
        closing: () => this.#closing,
        runsHere: (guildId) => this.hooks.runsEvents?.(guildId) ?? false,
      },
      this.metrics,
    );
    this.#workers = new WorkerLifecycle({
      pool: () => this.#p,
      guild: (guildId) => this.#guilds.get(guildId),
      ensureGuild: (guildId) => this.#guild(guildId),
      pump: (guild) => this.#pump(guild),
      serveOnceLoaded: (guild, worker, settled) => this.#serveOnceLoaded(guild, worker, settled),
      switched: (guildId) => this.#failures.backoff.forget(guildId),
      forgetInflight: (worker) => this.#forgetInflight(worker),
      resident: this.#eviction,
    }, this.options.retireMs);
    this.#failures = new WorkerFailures(
      {
        closing: () => this.#closing,
        worker: (key) => this.#workers.worker(key),
        guild: (guildId) => this.#guilds.get(guildId),
        failLoad: (worker, error, neighbourCrash) =>
          this.#workers.failLoad(worker, error, neighbourCrash),
        stop: (worker) => this.#workers.stop(worker),
        pump: (guild) => this.#pump(guild),
        coldStart: (guild) => this.#coldStart(guild),
        canStart: (guildId) => this.#load(this.#p.indexOf(guildId)).starts.open,
        lastUse: (guildId) => this.#eviction.lastUse(guildId),
        forget: (guild) => {
          this.#guilds.delete(guild.id);
          this.#eviction.remove(guild.id);
        },
        failInteraction: (payload, message) => this.#failInteraction(payload, message),
        settled: () => this.#drained.check(),
      },
      this.#started,
      this.metrics,
      logs,
      hooks.onWorkerFailure && ((d, reason, detail) => hooks.onWorkerFailure!(d, reason, detail)),
      new RestartBackoff(this.options.restartBackoff),
    );
    this.acks = new InteractionAcks(
      (guildId, op, args, handover) => this.#calls.host(guildId, op, args, handover),
      this.options.interactionAckMs,
      {
        deferred: () => this.metrics.interactionsDeferred.inc(),
        failed: () => this.metrics.interactionsFailed.inc(),
      },
    );
    registerSchedulingGauges(this.metrics, {
      resident: () => this.#eviction.size,
      deployed: () => this.#guilds.size,
      queued: () => this.queuedEvents(),
      inflight: () => this.inflightEvents(),
      startDelay: () => this.startDelayMs() / 1000,
    });
  }

  /** Attaches the pool (created with this manager as its listener). */
  attach(pool: SandboxPool): void {
    this.#pool = pool;
  }

  get #p(): SandboxPool {
    if (!this.#pool) throw new Error("sandbox manager has no pool");
    return this.#pool;
  }

  /** Guilds with an active deployment. */
  activeGuilds(): string[] {
    return [...this.#guilds.keys()];
  }

  /** Guilds whose worker is running now. */
  residentGuilds(): string[] {
    return [...this.#guilds.values()].filter((g) => g.worker).map((g) => g.id);
  }

  /** The deployment currently serving a guild. */
  activeDeployment(guildId: string): Deployment | undefined {
    return this.#guilds.get(guildId)?.deployment ?? undefined;
  }

  /** Events a guild dropped because its backlog was full, by event name. */
  droppedEvents(guildId: string): Record<string, number> {
    return Object.fromEntries(this.#guilds.get(guildId)?.queue.dropped ?? []);
  }

  /** Events waiting in every guild's queue. */
  queuedEvents(): number {
    let n = 0;
    for (const g of this.#guilds.values()) n += g.queue.length;
    return n;
  }

  /** Events sent to workers and not yet finished. */
  inflightEvents(): number {
    return this.#processes.inflight;
  }

  /**
   * How long batches wait to start in the most backlogged sandbox process (a running mean
   * of recent batches), ms: above `KEEPING_UP_MS` chat events are held (`batch_hold.ts`).
   */
  startDelayMs(): number {
    return this.#processes.startDelayMs(performance.now());
  }

  #guild(guildId: string): Guild {
    let guild = this.#guilds.get(guildId);
    if (!guild) this.#guilds.set(guildId, guild = new Guild(guildId, this.options.maxBacklog));
    return guild;
  }

  #load(processIndex: number): ProcessLoad<Guild> {
    return this.#processes.of(processIndex);
  }

  /**
   * Records a guild's active deployment without starting a worker: its first
   * event starts one. Used when restoring deployments at host start.
   */
  register(deployment: Deployment): void {
    const guild = this.#guild(deployment.guildId);
    guild.deployment = deployment;
  }

  /**
   * Loads a deployment in a new worker, beside any active one. Resolves with
   * the commands the script declared, or rejects with {@linkcode ScriptLoadError}.
   * The new worker serves nothing until {@linkcode activate}; meanwhile the
   * guild's events go to the running worker, or wait if none runs.
   */
  load(deployment: Deployment): Promise<CommandDefinition[]> {
    return this.#workers.load(deployment);
  }

  /**
   * Makes a loaded deployment serve its guild; the one it replaces finishes,
   * then stops (see {@linkcode WorkerLifecycle.activate}). On a node that does
   * not run the guild's events (`hooks.runsEvents`) the worker is stopped too,
   * unless busy: the guild's next event here, if its partition comes here,
   * starts one.
   */
  activate(deployment: Deployment): void {
    this.#workers.activate(deployment);
    if (this.hooks.runsEvents?.(deployment.guildId) === false) {
      this.#eviction.release(deployment.guildId);
    }
  }

  /** Stops a loaded worker that will not be activated (e.g. failed checks after load). */
  discard(deployment: Deployment): void {
    this.#workers.discard(deployment);
  }

  /** Returns a stopped worker's in-flight slots to its process. */
  #forgetInflight(worker: GuildWorker): void {
    if (worker.inflight.size === 0) return;
    const load = this.#load(worker.process);
    load.inflight -= worker.inflight.size;
    for (const event of worker.inflight.values()) settle(event);
    worker.inflight.clear();
    this.#wakeWaiting(load);
  }

  /**
   * Delivers an event to a guild: queued, then sent to its worker (started
   * if needed) in arrival order. False when the guild has no deployment.
   * `settled` is called once it is handled or dropped (see `QueuedEvent` in guild_queue.ts);
   * `handover` ties a cluster bus event to its partition ({@linkcode withdraw}).
   */
  deliver(
    guildId: string,
    name: ScriptEventName,
    payload: unknown,
    settled?: () => void,
    frame?: string,
    handover?: Handover,
  ): boolean {
    const guild = this.#guilds.get(guildId);
    if (!guild?.deployment) return false;
    this.metrics.eventsIn.inc(name);
    if (name === "interactionCreate") this.acks.track(guildId, payload, handover);
    if (this.#closing) {
      // Not settled: a gateway RESUME hands it to the next start.
      if (name === "interactionCreate") this.#failInteraction(payload, "flora is restarting.");
      return true;
    }
    if (name === "ready") {
      this.#readySeen = true;
      // A guild without a worker gets its `ready` when one starts; don't start one for it.
      if (!guild.worker && guild.queue.length === 0) {
        settled?.();
        return true;
      }
    }
    // A cron or task run in a cluster: fenced by the tenure it fired under.
    const tenure = handover ? undefined : this.hooks.tenure?.(guildId);
    const queued = queuedEvent(this.#frames, name, payload, frame, settled, handover, tenure);
    guild.arrivals.observe(queued.receivedAt);
    if (!guild.queue.push(queued)) {
      this.metrics.eventsDropped.inc(name);
      this.metrics.usage.add(guildId, "eventsDropped");
      settled?.();
      return true;
    }
    this.#pump(guild);
    return true;
  }

  /**
   * Takes back the waiting (not started) events of the guilds `which` picks
   * that can run elsewhere: a cluster node hands their partition to another
   * node, which runs them. Returns how many.
   */
  withdraw(which: (guildId: string) => boolean): number {
    let withdrawn = 0;
    for (const guild of this.#guilds.values()) {
      if (guild.queue.length > 0 && which(guild.id)) withdrawn += guild.queue.withdraw();
    }
    if (withdrawn > 0) this.#drained.check();
    return withdrawn;
  }

  /**
   * Stops the workers of these guilds unless busy (evictions reason `elsewhere`): their events
   * run on another node now (a cluster partition handed over). Returns how many were stopped;
   * a busy one stops once its running batch ends, unless the guild's events run here again by
   * then (`hooks.runsEvents`).
   */
  release(which: (guildId: string) => boolean): number {
    let released = 0;
    for (const guild of this.#guilds.values()) {
      if (guild.worker && which(guild.id) && this.#eviction.release(guild.id)) released++;
    }
    return released;
  }

  /** Sends what the guild's worker can take now; starts a worker when none runs. */
  #pump(guild: Guild): void {
    const worker = guild.worker;
    if (!worker) {
      if (guild.queue.length === 0 || guild.holds > 0 || !guild.deployment) return;
      const waitMs = this.#failures.restartWait(guild.id);
      if (waitMs <= 0) return this.#coldStart(guild);
      // Pumped again once its restart back-off is over (one timer per guild).
      this.#backoffTimers.later(guild, waitMs, () => {
        if (!this.#closing && this.#guilds.get(guild.id) === guild) this.#pump(guild);
      });
      return;
    }
    // One batch in flight per worker: what arrives meanwhile waits and goes in the next
    // one, so under load each wake-up of the worker's thread runs many events.
    if (!worker.serving || guild.queue.length === 0 || worker.inflight.size > 0) return;
    const load = this.#load(worker.process);
    if (this.options.batchHoldMs > 0 && !this.#closing && this.#holds(guild, load)) return;
    const room = load.room;
    // Wait for room for a whole batch rather than send a sliver: slivers mean more wake-ups.
    if (room < Math.min(fullBatch(this.options), guild.queue.length)) {
      load.waiting.add(guild);
      return;
    }
    const batch = guild.queue.takeBatch(Math.min(batchMax(this.options), room));
    if (batch.length > 0) { // else all given back
      worker.delivered(batch);
      sendBatch(this.#p, worker, batch, load);
    }
    this.#eviction.touch(guild.id);
  }

  /** Holds an idle worker's guild for more events when `heldUntil` says so (`batch_hold.ts`). */
  #holds(guild: Guild, load: ProcessLoad<Guild>): boolean {
    const now = performance.now();
    const due = heldUntil(this.options.batchHoldMs, {
      queue: guild.queue,
      arrivalGapMs: guild.arrivals.ms,
      processInflight: load.inflight,
      startDelayMs: load.startDelay.at(now),
      fullBatch: fullBatch(this.options),
      now,
    });
    if (due === undefined) return false;
    this.#held.add(guild, due);
    return true;
  }

  #coldStart(guild: Guild): void {
    const deployment = guild.deployment!;
    const load = this.#load(this.#p.indexOf(guild.id));
    if (!load.starts.tryEnter(guild)) return; // offered again when a start finishes
    const settled = () => leaveStart(load, (next) => this.#pump(next));
    this.#eviction.makeRoom();
    const started = performance.now();
    this.metrics.coldStarts.inc();
    const worker = this.#workers.spawn(deployment, { holdsQueue: false });
    guild.worker = worker;
    this.#eviction.touch(guild.id);
    this.#eviction.check();
    this.#workers.startLoad(worker);
    this.#serveOnceLoaded(guild, worker, (loaded) => {
      if (loaded) this.metrics.coldStartLatency.observe((performance.now() - started) / 1000);
      settled();
    });
  }

  /**
   * Makes a starting worker serve its guild once its script loaded (a fresh
   * worker missed `ready`: it gets one). A failed load answers the guild's
   * waiting interactions; a load stopped on purpose leaves the guild's events
   * to whatever replaced it.
   */
  #serveOnceLoaded(guild: Guild, worker: GuildWorker, settled: (loaded: boolean) => void): void {
    worker.loaded.then(() => {
      settled(true);
      if (guild.worker !== worker) return;
      worker.serve();
      if (this.#readySeen) {
        const ready = { name: "ready" as const, payload: { guildId: guild.id }, receivedAt: 0 };
        sendBatch(this.#p, worker, [ready], this.#load(worker.process));
      }
      this.#pump(guild);
      // Released while it loaded (its partition went elsewhere, its events withdrawn): with
      // nothing sent, no batch end would come to stop it.
      if (worker.inflight.size === 0) this.#eviction.batchEnded(guild.id);
    }, (error: Error) => {
      settled(false);
      if (error instanceof LoadStopped) {
        if (!this.#closing) this.#pump(guild);
        return;
      }
      if (this.#failures.retryStart(guild, error)) return;
      this.logs.append(guild.id, "error", `flora: the script could not start: ${error.message}`);
      if (guild.worker === worker) guild.worker = null;
      this.#eviction.remove(guild.id);
      // Nothing can run these now; answer the interactions, let the rest go.
      abandonQueue(
        guild,
        (payload) => this.#failInteraction(payload, "This server's bot script failed to start."),
      );
    });
  }

  #failInteraction(payload: unknown, message: string): void {
    const id = interactionId(payload);
    if (id !== undefined) this.acks.fail(id, message); // never rejects
  }

  /** Handles something a worker posted. Never throws: workers are untrusted. */
  workerMessage(key: WorkerKey, raw: unknown): void {
    this.#messages.receive(key, raw);
  }

  /**
   * Some of a worker's events finished (its process's report, `eventsDone`). Each is settled
   * and counted; then, once for them all, what finishing frees: a retiring or moving worker
   * stops, waiting guilds and this one send.
   */
  eventsDone(key: WorkerKey, finished: EventsDoneMessage): void {
    const worker = this.#workers.worker(key);
    if (!worker) return; // a worker we already stopped
    worker.cpuMs = chargeBatch(this.metrics.usage, key.guildId, finished, worker.cpuMs);
    const load = this.#load(worker.process);
    observeStartDelay(worker, load.startDelay, startedAtOf(finished, 0));
    const wasLoaded = load.inflight >= fullBatch(this.options);
    const sinks = { metrics: this.metrics, started: this.#started, acks: this.acks };
    if (finishEvents(worker, finished, load, sinks) === 0) return;
    if (wasLoaded && load.inflight < fullBatch(this.options)) {
      // No longer loaded: what this process's guilds hold goes now, not when the hold runs out,
      // until it is loaded again.
      this.#held.release(
        (held) => held.worker?.process === worker.process,
        () => load.inflight >= fullBatch(this.options),
      );
    }
    if (worker.retiring && worker.inflight.size === 0) this.#workers.stop(worker);
    this.#moves.settle(worker); // between events: a worker leaving a recycled process goes now
    // Guilds that waited for room first, as when each event freed its slot in turn.
    this.#wakeWaiting(load);
    const guild = this.#guilds.get(worker.key.guildId);
    if (guild && guild.worker === worker) this.#pump(guild);
    this.#wakeWaiting(load);
    this.#drained.check();
    // After the pump: a guild that still has events here keeps its worker.
    if (guild && guild.worker === worker) this.#eviction.batchEnded(guild.id);
  }

  /** Lets guilds waiting for room in a process send again. */
  #wakeWaiting(load: ProcessLoad<Guild>): void {
    if (load.waiting.size === 0) return; // after every event: no generator for nobody
    for (const guild of load.wake(fullBatch(this.options))) this.#pump(guild);
  }

  /** The process handed these events to the worker (they are no longer safe to deliver again). */
  eventsStarted(key: WorkerKey, ids: number[]): void {
    const worker = this.#workers.worker(key);
    if (!worker) return;
    for (const id of ids) if (worker.inflight.has(id)) this.#started.mark(worker, id);
  }

  /** These workers' sandbox process is being recycled: each moves once nothing is in flight. */
  moveWorkers(keys: WorkerKey[]): void {
    this.#moves.request(keys);
  }

  /** A sandbox process passed its RSS ceiling and is being recycled. */
  processRecycled(_index: number, _rss: number): void {
    this.metrics.processRecycles.inc();
  }

  /** A worker was stopped or died: fail its load, or let the next event start a fresh one. */
  workerExit(key: WorkerKey, reason: WorkerExitReason | "process", detail: string): void {
    this.#failures.exit(key, reason, detail);
  }

  #idle(): boolean {
    return this.inflightEvents() === 0 && this.queuedEvents() === 0;
  }

  /**
   * Graceful shutdown: stops intake (new interactions get an ephemeral
   * "restarting" answer), lets queued and in-flight events finish until the
   * deadline, then answers every interaction still unanswered. Resolves with
   * how many events were abandoned.
   */
  async drain(deadlineMs: number): Promise<{ abandoned: number }> {
    this.#closing = true;
    await this.#drained.wait(deadlineMs);
    const abandoned = this.inflightEvents() + this.queuedEvents();
    await this.acks.failAll("flora is restarting; please try again in a moment.");
    this.close();
    return { abandoned };
  }

  /** Stops timers (the pool is closed by its owner). */
  close(): void {
    this.#closing = true;
    this.#eviction.stop();
    this.#workers.clearTimers();
    this.#backoffTimers.clear();
    this.#held.close();
    this.acks.close();
  }
}
