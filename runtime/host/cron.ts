/**
 * The host's cron scheduler. Scripts declare jobs with `cron()`; when a
 * script loads, its jobs are stored with its deployment, so after a restart
 * (when workers start lazily) the host still knows them. Each job's next run
 * is stored too, so a restart or a redeploy that keeps a job keeps its
 * schedule, and a run missed while flora was down fires once on return.
 * A due job is delivered as a `cron` event through the normal event path
 * (which starts the guild's worker if it is not running).
 *
 * In a cluster every runtime node runs a scheduler, but only for the guilds
 * it owns (`owns`), and a run fires only on the node whose compare-and-set
 * moves the job's stored next run on: each due time fires once across the
 * cluster even while ownership moves (a node that dies between that write
 * and the delivery loses that one run).
 *
 * @module
 */

import { Cron } from "croner";
import type { Deployment, GuildKvStore, JsonValue } from "../../storage/types.ts";
import type { CronDefinition, LoadedMessage, ScriptEventName } from "../sandbox/protocol/mod.ts";
import { SerialTicker } from "./serial_ticker.ts";

/** The guild KV store the scheduler keeps its state in (reserved: scripts cannot open it). */
export const CRON_STORE = "flora.cron";

/** What the scheduler needs from the sandbox manager. */
export interface CronTarget {
  activeGuilds(): string[];
  activeDeployment(guildId: string): Deployment | undefined;
  deliver(guildId: string, name: ScriptEventName, payload: unknown): boolean;
}

interface JobState {
  schedule: string;
  /** Epoch ms of the next run. */
  nextRunAt: number;
}

/** A job's state as last read or written, with the stored version it had. */
interface KnownState {
  state: JobState;
  version: string;
}

export interface CronOptions {
  /**
   * Whether this node runs `guildId`'s jobs now (a cluster: it owns the guild's partition).
   * @default every guild
   */
  owns?: (guildId: string) => boolean;
}

/** The next run of a five-field UTC expression strictly after `from`, or null. */
export function nextRun(schedule: string, from: Date): Date | null {
  return new Cron(schedule, { timezone: "UTC", paused: true }).nextRun(from);
}

/** Fires due cron jobs of every guild with an active deployment. */
export class CronScheduler {
  /** deployment id → its jobs (cache of what is stored). */
  #jobs = new Map<string, CronDefinition[]>();
  /** `guild\0job` → state (cache of what is stored). */
  #state = new Map<string, KnownState>();
  /** guild → the active deployment whose leftovers were last pruned. */
  #pruned = new Map<string, string>();
  readonly #ticker = new SerialTicker((now) => this.#tick(now), () => Date.now());

  constructor(
    readonly store: GuildKvStore,
    readonly target: CronTarget,
    readonly log: (guildId: string, level: "info" | "warn" | "error", message: string) => void,
    readonly options: CronOptions = {},
  ) {}

  /** ManagerHooks.onLoaded: remember (and store) a deployment's jobs. */
  onLoaded(deployment: Deployment, message: LoadedMessage): void {
    const crons = message.crons ?? [];
    const valid = crons.filter((job) => {
      try {
        nextRun(job.schedule, new Date());
        return true;
      } catch (error) {
        this.log(
          deployment.guildId,
          "error",
          `flora: cron job "${job.name}" has an invalid schedule "${job.schedule}": ${
            (error as Error).message
          }`,
        );
        return false;
      }
    });
    this.#jobs.set(deployment.id, valid);
    // A script without cron jobs gets no flora.cron store: its KV shows only its own stores
    // (a missing list reads as no jobs; an earlier deployment's is pruned on the next tick).
    if (valid.length === 0) return;
    this.store.set(
      deployment.guildId,
      CRON_STORE,
      `deployment:${deployment.id}`,
      valid as unknown as JsonValue,
    ).catch((error) =>
      this.log(deployment.guildId, "warn", `flora: cron jobs not stored: ${error.message}`)
    );
  }

  /** Starts checking for due jobs every `intervalMs`. */
  start(intervalMs = 1_000): void {
    this.#ticker.start(intervalMs);
  }

  /** Stops the timer and waits for a running check. */
  close(): Promise<void> {
    return this.#ticker.close();
  }

  /**
   * Fires every job due at `now` (once, even if several runs were missed),
   * and resolves with what it fired. The timer calls it with the clock;
   * tests call it with a later instant.
   */
  tick(now: Date): Promise<{ guildId: string; name: string }[]> {
    return this.#ticker.tick(now);
  }

  /**
   * The distinct schedules of the jobs of a guild's active deployment (as
   * stored when it loaded), e.g. for a test clock to visit each due instant.
   */
  async schedules(guildId: string): Promise<string[]> {
    const deployment = this.target.activeDeployment(guildId);
    if (!deployment) return [];
    const jobs = await this.#jobsOf(deployment);
    return [...new Set(jobs.map((job) => job.schedule))];
  }

  async #tick(now: Date): Promise<{ guildId: string; name: string }[]> {
    const fired: { guildId: string; name: string }[] = [];
    for (const guildId of this.target.activeGuilds()) {
      if (this.options.owns && !this.options.owns(guildId)) continue;
      const deployment = this.target.activeDeployment(guildId);
      if (!deployment) continue;
      let jobs: CronDefinition[];
      try {
        jobs = await this.#jobsOf(deployment);
      } catch (error) {
        this.log(
          guildId,
          "warn",
          `flora: cron jobs could not be read: ${(error as Error).message}`,
        );
        continue;
      }
      if (this.#pruned.get(guildId) !== deployment.id) {
        this.#pruned.set(guildId, deployment.id);
        await this.#prune(guildId, deployment.id, jobs).catch(() => {});
      }
      for (const job of jobs) {
        try {
          if (await this.#due(guildId, job, now)) fired.push({ guildId, name: job.name });
        } catch (error) {
          this.log(guildId, "warn", `flora: cron job "${job.name}": ${(error as Error).message}`);
        }
      }
    }
    return fired;
  }

  /**
   * Forgets what earlier deployments stored (their job lists) and the state
   * of jobs the active script no longer declares.
   */
  async #prune(guildId: string, activeId: string, jobs: CronDefinition[]): Promise<void> {
    const keep = new Set(jobs.map((j) => `job:${j.name}`));
    keep.add(`deployment:${activeId}`);
    let cursor: string | undefined;
    do {
      const page = await this.store.list(guildId, CRON_STORE, { cursor, limit: 1000 });
      for (const entry of page.entries) {
        // A newer deployment (ids sort by creation) may be loading to replace the active one.
        const id = entry.key.startsWith("deployment:") ? entry.key.slice(11) : "";
        if (keep.has(entry.key) || id > activeId) continue;
        if (id) this.#jobs.delete(id);
        await this.store.delete(guildId, CRON_STORE, entry.key);
        if (entry.key.startsWith("job:")) this.#state.delete(`${guildId}\0${entry.key.slice(4)}`);
      }
      cursor = page.cursor;
    } while (cursor);
  }

  async #jobsOf(deployment: Deployment): Promise<CronDefinition[]> {
    const cached = this.#jobs.get(deployment.id);
    if (cached) return cached;
    const entry = await this.store.get(
      deployment.guildId,
      CRON_STORE,
      `deployment:${deployment.id}`,
    );
    const jobs = (entry?.value ?? []) as unknown as CronDefinition[];
    this.#jobs.set(deployment.id, jobs);
    return jobs;
  }

  async #due(guildId: string, job: CronDefinition, now: Date): Promise<boolean> {
    const key = `${guildId}\0${job.name}`;
    let known = this.#state.get(key) ?? await this.#read(guildId, job.name);
    if (!known || known.state.schedule !== job.schedule) {
      // New job, or its schedule changed: the first run is the next one from now.
      const first = nextRun(job.schedule, now);
      if (!first) return false;
      await this.#save(guildId, job.name, known?.version ?? null, {
        schedule: job.schedule,
        nextRunAt: first.getTime(),
      });
      return false;
    }
    if (known.state.nextRunAt > now.getTime()) return false;
    // Another node may have fired it since this one last looked: read before deciding.
    if (this.options.owns) {
      known = await this.#read(guildId, job.name);
      if (!known || known.state.schedule !== job.schedule) return false;
      if (known.state.nextRunAt > now.getTime()) return false;
    }
    // Runs missed while flora was down (or a slow tick) fire once, as the latest due slot.
    let due = new Date(known.state.nextRunAt);
    let next = nextRun(job.schedule, due);
    for (let i = 0; next && next.getTime() <= now.getTime() && i < 100_000; i++) {
      due = next;
      next = nextRun(job.schedule, due);
    }
    const scheduledAt = due.toISOString();
    const won = await this.#save(guildId, job.name, known.version, {
      schedule: job.schedule,
      nextRunAt: next ? next.getTime() : Number.MAX_SAFE_INTEGER,
    });
    if (!won) return false; // another node fired this run
    // firedAt lets the worker tell a run that was due while the previous one still ran
    // (events reach a worker one at a time, so it may arrive after that run ended).
    this.target.deliver(guildId, "cron", { name: job.name, scheduledAt, firedAt: Date.now() });
    return true;
  }

  async #read(guildId: string, name: string): Promise<KnownState | undefined> {
    const entry = await this.store.get(guildId, CRON_STORE, `job:${name}`);
    if (!entry) {
      this.#state.delete(`${guildId}\0${name}`);
      return undefined;
    }
    const known = { state: entry.value as unknown as JobState, version: entry.version };
    this.#state.set(`${guildId}\0${name}`, known);
    return known;
  }

  /**
   * Stores a job's state if it still has `version` (null: absent); false when
   * another node wrote it first (the cache then holds what it wrote).
   */
  async #save(
    guildId: string,
    name: string,
    version: string | null,
    state: JobState,
  ): Promise<boolean> {
    const written = await this.store.compareAndSet(
      guildId,
      CRON_STORE,
      `job:${name}`,
      version,
      state as unknown as JsonValue,
    );
    if (written === null) {
      await this.#read(guildId, name);
      return false;
    }
    this.#state.set(`${guildId}\0${name}`, { state, version: written.version });
    return true;
  }
}
