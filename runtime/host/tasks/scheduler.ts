/**
 * The host's task scheduler: scripts schedule durable one-off tasks
 * (`tasks.schedule`), kept in the guild's KV by {@linkcode GuildTasks}; each
 * tick claims the due ones of every guild with an active deployment and
 * delivers a `task` event through the normal event path (which starts the
 * guild's worker if needed). The SDK confirms a handler that finished
 * (`tasks.complete`); an unconfirmed task fires again when its lease ends.
 *
 * In a cluster every runtime node runs a scheduler for the guilds it owns
 * (`owns`); a claim is an atomic write, so a task is claimed by one node
 * even while ownership moves.
 *
 * @module
 */

import type { Deployment } from "../../../storage/types.ts";
import type { OperationArgs, ScriptEventName, TaskInfo } from "../../sandbox/protocol/mod.ts";
import { SerialTicker } from "../serial_ticker.ts";
import type { GuildTasks, StoredTask } from "./guild_tasks.ts";

/** How long the scheduler trusts what it read of a guild's earliest task, real ms, on average. */
export const NEXT_DUE_REFRESH_MS = 30_000;

/**
 * How long the scheduler trusts what it read of `guildId`'s earliest task, real ms: from half to
 * one and a half {@linkcode NEXT_DUE_REFRESH_MS}, fixed per guild by its id. Guilds whose workers
 * started together were first read in the same tick, and with one period for all they were all
 * read again in one tick each period: 1,000 active guilds made 1,000 KV lists in one tick every 30
 * s, one after another, and every guild's due tasks waited for that tick to end. Spread, the same
 * 1,000 guilds make about 33 a second.
 *
 * @example
 * ```ts
 * nextDueRefreshMs("81384788765712384"); // the same figure every time, 15_000 ≤ it < 45_000
 * ```
 */
export function nextDueRefreshMs(guildId: string): number {
  // FNV-1a, then murmur3's final mix so the last digits move the high bits too: consecutive
  // snowflakes land far apart.
  let hash = 0x811c9dc5;
  for (let i = 0; i < guildId.length; i++) {
    hash = Math.imul(hash ^ guildId.charCodeAt(i), 0x01000193);
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash ^= hash >>> 16;
  return NEXT_DUE_REFRESH_MS * (0.5 + (hash >>> 0) / 2 ** 32);
}

/** What the scheduler needs from the sandbox manager. */
export interface TaskTarget {
  activeGuilds(): string[];
  activeDeployment(guildId: string): Deployment | undefined;
  deliver(guildId: string, name: ScriptEventName, payload: unknown): boolean;
}

/** A task by id, or by the key the script chose. */
export type TaskRef = { id: string } | { key: string };

function info({ dueAt: _, ...task }: StoredTask): TaskInfo {
  return task;
}

function refOf(args: { id?: string; key?: string }): TaskRef {
  return args.id !== undefined ? { id: args.id } : { key: args.key! };
}

/** Schedules, lists and fires every guild's tasks. */
export class TaskScheduler {
  /** The clock tasks are scheduled by (the test kit's virtual time replaces it). */
  now: () => number = Date.now;
  /** The real clock what was read of each guild's tasks ages by (tests replace it). */
  readClock: () => number = Date.now;
  #target: TaskTarget | null = null;
  #owns: (guildId: string) => boolean = () => true;
  /**
   * guild → when its earliest task is due (a lower bound; null: none) and when to read it
   * again (real ms, {@linkcode nextDueRefreshMs}), so tasks another node scheduled (the guild
   * moved in a cluster) are found.
   */
  #next = new Map<string, { at: number | null; staleAt: number }>();
  readonly #ticker = new SerialTicker((now) => this.#tick(now.getTime()), () => this.now());

  constructor(
    readonly tasks: GuildTasks,
    readonly log: (guildId: string, level: "info" | "warn" | "error", message: string) => void,
  ) {}

  /**
   * Where due tasks go (the sandbox manager, which needs the operations that use this), and
   * which guilds' tasks this node fires (default: every guild).
   */
  attach(target: TaskTarget, owns?: (guildId: string) => boolean): void {
    this.#target = target;
    if (owns) this.#owns = owns;
  }

  async schedule(guildId: string, args: OperationArgs<"tasks.schedule">): Promise<TaskInfo> {
    const now = this.now();
    const task = await this.tasks.schedule(guildId, {
      name: args.name,
      dueAt: args.at ?? now + (args.inMs ?? 0),
      payload: args.payload,
      ...(args.key === undefined ? {} : { key: args.key }),
    }, now);
    const next = this.#next.get(guildId);
    if (next && (next.at === null || task.dueAt < next.at)) next.at = task.dueAt;
    return info(task);
  }

  cancel(guildId: string, args: { id?: string; key?: string }): Promise<boolean> {
    return this.tasks.cancel(guildId, refOf(args));
  }

  complete(guildId: string, id: string): Promise<boolean> {
    return this.tasks.complete(guildId, id);
  }

  async get(guildId: string, args: { id?: string; key?: string }): Promise<TaskInfo | null> {
    const task = await this.tasks.get(guildId, refOf(args));
    return task === null ? null : info(task);
  }

  async list(
    guildId: string,
    options: OperationArgs<"tasks.list">,
  ): Promise<{ tasks: TaskInfo[]; cursor?: string }> {
    const page = await this.tasks.list(guildId, options);
    return { ...page, tasks: page.tasks.map(info) };
  }

  /** When the guild's earliest task is due (epoch ms), or null when it has none. */
  nextDue(guildId: string): Promise<number | null> {
    return this.tasks.nextDue(guildId);
  }

  /** Starts checking for due tasks every `intervalMs`. */
  start(intervalMs = 1_000): void {
    this.#ticker.start(intervalMs);
  }

  /** Stops the timer and waits for a running check. */
  close(): Promise<void> {
    return this.#ticker.close();
  }

  /**
   * Delivers every task due at `now` and resolves with what it delivered.
   * The timer calls it with the clock; tests call it with a later instant.
   */
  tick(now: Date): Promise<{ guildId: string; task: TaskInfo }[]> {
    return this.#ticker.tick(now);
  }

  /** The guild's earliest due time, from the cache while it is fresh. */
  async #nextDue(guildId: string): Promise<number | null> {
    const cached = this.#next.get(guildId);
    if (cached && this.readClock() < cached.staleAt) return cached.at;
    const at = await this.tasks.nextDue(guildId);
    this.#next.set(guildId, { at, staleAt: this.readClock() + nextDueRefreshMs(guildId) });
    return at;
  }

  async #tick(now: number): Promise<{ guildId: string; task: TaskInfo }[]> {
    const target = this.#target;
    if (!target) return [];
    const fired: { guildId: string; task: TaskInfo }[] = [];
    for (const guildId of target.activeGuilds()) {
      if (!this.#owns(guildId) || !target.activeDeployment(guildId)) continue;
      try {
        const next = await this.#nextDue(guildId);
        if (next === null || next > now) continue;
        const { claimed, dropped } = await this.tasks.claimDue(guildId, now);
        for (const task of dropped) {
          this.log(
            guildId,
            "error",
            `flora: task "${task.name}" (${task.id}) was dropped: its handler did not finish in ${task.attempt} attempts`,
          );
        }
        for (const task of claimed) {
          if (target.deliver(guildId, "task", info(task))) {
            fired.push({ guildId, task: info(task) });
          }
        }
        this.#next.delete(guildId);
      } catch (error) {
        this.log(guildId, "warn", `flora: tasks could not be checked: ${(error as Error).message}`);
      }
    }
    return fired;
  }
}
