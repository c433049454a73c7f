/**
 * What the host does when a worker is lost (its watchdog stopped it, it
 * crashed, or its whole sandbox process died): the events it had are
 * answered, counted lost or delivered again to its successor; a
 * crash-looping guild is suspended; a guild a neighbour's crash took comes
 * back at once, and a cold start a neighbour's crash cut short is retried; a
 * guild whose own script keeps being stopped waits longer before each restart.
 *
 * A cluster node that lost the partition of the bus event a worker was
 * running (paused past its lease) says so in the guild's log instead of
 * blaming the script: see {@linkcode lostPartition}.
 *
 * @module
 */

import type { Deployment } from "../../storage/types.ts";
import { isDroppable, type WorkerExitReason, type WorkerKey } from "../sandbox/protocol/mod.ts";
import { requeueFirst, type StartedEvents } from "./guard/redelivery.ts";
import { RestartBackoff } from "./guard/restart_backoff.ts";
import { type QueuedEvent, settle } from "./guild_queue.ts";
import type { Guild } from "./guild_state.ts";
import { type GuildWorker, ScriptLoadError } from "./guild_worker.ts";
import type { LogSink } from "./logs.ts";
import type { FloraMetrics } from "./metrics.ts";

/**
 * A guild that used its worker this recently, ms, is restarted at once when
 * a neighbour's crash takes its process down, instead of on its next event.
 */
const RESTART_RECENT_MS = 60_000;
/** A cold start cut short by a neighbour's crash is retried, at most once per this long, ms. */
const START_RETRY_WINDOW_MS = 10_000;

/**
 * The partition of a bus event among `events` that this node may no longer
 * act for (its lease lapsed: the node was paused, e.g. SIGSTOP or a long GC,
 * or cut off from the bus), if any.
 *
 * A worker lost while running such an event was most likely stopped because
 * of it: the sandbox process's watchdog counts a handler's budget in wall
 * time, and it ran on while the paused host could not answer the handler's
 * calls. The event runs on the partition's next owner, which judges the
 * script; so here the stop counts toward neither a crash loop nor a restart
 * back-off, the event is left unmarked (as a refused call leaves it) and its
 * interaction is left for the next owner to answer.
 */
export function lostPartition(events: Iterable<QueuedEvent>): number | undefined {
  for (const event of events) {
    if (event.handover && !event.handover.mayAct()) return event.handover.partition;
  }
  return undefined;
}

/** What handling a lost worker needs from the sandbox manager. */
export interface FailureHost {
  /** Shutting down: nothing is restarted. */
  closing(): boolean;
  /** The live worker with this key, if any. */
  worker(key: WorkerKey): GuildWorker | undefined;
  /** The registered guild with this id (undefined once suspended). */
  guild(guildId: string): Guild | undefined;
  /** Fails a worker's load (`neighbourCrash`: its process died for another guild). */
  failLoad(worker: GuildWorker, error: string, neighbourCrash: boolean): void;
  stop(worker: GuildWorker): void;
  /** Sends what the guild's worker can take, starting one if needed. */
  pump(guild: Guild): void;
  coldStart(guild: Guild): void;
  /** A cold start may begin now in the guild's process. */
  canStart(guildId: string): boolean;
  /** When the guild's worker was last used (ms), undefined if none is resident. */
  lastUse(guildId: string): number | undefined;
  /** Forgets a suspended guild: it serves nothing until deployed again. */
  forget(guild: Guild): void;
  /** Answers an interaction the guild cannot answer, with `message`. */
  failInteraction(payload: unknown, message: string): void;
  /** Work finished (a waiting shutdown may go on). */
  settled(): void;
}

/** Handles lost workers and failed cold starts for the sandbox manager. */
export class WorkerFailures {
  /** When each guild's cold start was last retried after a neighbour's crash (ms). */
  #startRetried = new WeakMap<Guild, number>();

  /**
   * @param onWorkerFailure returns a reason to suspend the guild (crash loop), or null.
   */
  constructor(
    readonly host: FailureHost,
    readonly started: StartedEvents,
    readonly metrics: FloraMetrics,
    readonly logs: LogSink,
    readonly onWorkerFailure?: (
      deployment: Deployment,
      reason: string,
      detail: string,
    ) => string | null,
    /** How long a guild whose script keeps being stopped waits before it starts again. */
    readonly backoff: RestartBackoff = new RestartBackoff(),
  ) {}

  /** How long the guild's next cold start must still wait, ms (0: now). */
  restartWait(guildId: string): number {
    return this.backoff.wait(guildId, Date.now());
  }

  /** A worker was stopped or died: fail its load, or let the next event start a fresh one. */
  exit(key: WorkerKey, reason: WorkerExitReason | "process", detail: string): void {
    const worker = this.host.worker(key);
    if (!worker) return;
    if (worker.loading) {
      this.host.failLoad(worker, detail, reason === "process");
      return;
    }
    if (reason === "timeout") this.metrics.timeouts.inc();
    else this.metrics.crashes.inc();
    const guild = this.host.guild(key.guildId);
    const serving = guild?.worker === worker;
    if (serving) this.metrics.usage.add(key.guildId, "restarts");
    // A deploy's worker lost before its switch lets go of the queue it held.
    const held = worker.holdsQueue;
    if (held) {
      this.logs.append(
        key.guildId,
        "warn",
        `flora: deployment ${key.deploymentId}'s worker stopped before it went live ` +
          `(${reason}): ${detail}`,
      );
    }
    // Events the process never handed to the worker go to its successor, once.
    const { replay, interrupted } = this.started.split(worker, worker.inflight);
    const lost = lostPartition(interrupted);
    const blamed = serving && lost === undefined;
    const suspension = blamed
      ? this.onWorkerFailure?.(worker.deployment, reason, detail) ?? null
      : null;
    // Only the guild's own stops back off: a neighbour's crash (`process`) is not its doing.
    const waitMs = blamed && !suspension && reason !== "process"
      ? this.backoff.stopped(key.guildId, key.deploymentId, Date.now())
      : 0;
    if (serving && lost !== undefined) {
      this.logs.append(
        key.guildId,
        "warn",
        `flora: the script was stopped (${reason}): ${detail}; this node lost guild ` +
          `${key.guildId}'s partition ${lost} meanwhile (its lease lapsed: the node was paused ` +
          "or cut off from the cluster), so the event runs on its next owner and this stop " +
          "does not count against the script",
      );
    } else if (serving) {
      this.logs.append(
        key.guildId,
        "error",
        `flora: the script was stopped (${reason}): ${detail}; ` +
          (suspension
            ? "not restarting it"
            : waitMs > 0
            ? `it was stopped too often lately, so it restarts in ${waitMs / 1000} s at the ` +
              "earliest (longer each time, so its restarts do not take its neighbours' share); " +
              "events wait meanwhile"
            : "it restarts with the next event"),
      );
    }
    // A guild in use lately comes back at once when only its process failed it.
    const lastUse = serving && reason === "process" ? this.host.lastUse(key.guildId) : 0;
    const restart = lastUse !== undefined && lastUse > Date.now() - RESTART_RECENT_MS;
    for (const event of suspension || !serving ? [...interrupted, ...replay] : interrupted) {
      if (event.handover && !event.handover.mayAct()) {
        event.handover.fenced(); // unmarked, unacked: the next owner runs (and answers) it
        settle(event);
        continue;
      }
      settle(event);
      if (event.name === "interactionCreate") {
        this.host.failInteraction(
          event.payload,
          "This server's bot script stopped while answering.",
        );
      } else if (isDroppable(event.name)) {
        // Part of a batch the worker may or may not have run: never repeated, so counted lost.
        this.metrics.eventsDropped.inc(event.name);
        this.metrics.usage.add(key.guildId, "eventsDropped");
      }
    }
    // Stopping settles what was in flight; the events handed on are not done yet.
    const handedOn = replay.map((event) => event.settled);
    this.host.stop(worker);
    replay.forEach((event, i) => event.settled = handedOn[i]);
    if (guild && serving && suspension) this.#suspend(guild, suspension);
    else if (guild && serving) {
      requeueFirst(guild.queue, replay);
      this.host.pump(guild);
      if (restart) this.#restartSoon(guild);
    } else if (guild && held) this.host.pump(guild);
    this.host.settled();
  }

  /**
   * A cold start cut short by a neighbour's process crash is not the script's
   * failure, and its queue was never sent: keep the queue and start again in
   * the new process (once per window, in case the "neighbour" was itself).
   * True when the failed start's events are taken care of.
   */
  retryStart(guild: Guild, error: Error): boolean {
    if (!(error instanceof ScriptLoadError) || !error.neighbourCrash || this.host.closing()) {
      return false;
    }
    if (guild.worker) return true; // another worker serves the guild and takes its queue
    const now = Date.now();
    if (now - (this.#startRetried.get(guild) ?? -Infinity) < START_RETRY_WINDOW_MS) return false;
    this.#startRetried.set(guild, now);
    this.host.pump(guild);
    return true;
  }

  /**
   * Restarts a guild whose worker a neighbour's process crash took, without
   * waiting for its next event. After the current turn, so guilds with
   * events to replay take the start slots first; skipped when none is free
   * (the next event starts it then).
   */
  #restartSoon(guild: Guild): void {
    queueMicrotask(() => {
      if (this.host.closing() || guild.worker || guild.holds > 0 || !guild.deployment) return;
      if (this.host.guild(guild.id) !== guild) return;
      if (!this.host.canStart(guild.id)) return;
      this.host.coldStart(guild);
    });
  }

  /** Stops serving a crash-looping guild until it is deployed again. */
  #suspend(guild: Guild, reason: string): void {
    this.logs.append(
      guild.id,
      "error",
      `flora: the script was suspended: ${reason}. Deploy again to resume.`,
    );
    for (const event of guild.queue.drain()) {
      settle(event);
      if (event.name === "interactionCreate") {
        this.host.failInteraction(event.payload, "This server's bot script is suspended.");
      }
    }
    this.host.forget(guild);
  }
}
