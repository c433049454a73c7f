/**
 * Durable one-off tasks, kept in each guild's KV (the reserved store
 * `flora.tasks`, so they live wherever the guild's KV lives and count
 * against its quota). Pure bookkeeping: the scheduler decides when to claim,
 * the operations what a script may do.
 *
 * Layout of the store:
 * - `t:<id>` → the task ({@linkcode StoredTask})
 * - `d:<due, 15 digits>:<id>` → id: the due index, read in time order
 * - `k:<key>` → id: the key a script chose (scheduling the same key replaces)
 * - `n` → how many tasks the guild has
 *
 * Every change touches its keys in one `atomic` call checked against what it
 * read, so a task is claimed by one tick only and a replace is all or nothing.
 * A claimed task is re-due at the end of its lease: if the handler never
 * confirms (`complete`), it fires again (at least once, with the same id).
 *
 * @example
 * ```ts
 * const tasks = new GuildTasks(kv);
 * const task = await tasks.schedule(guildId, { name: "remind", dueAt: Date.now() + 60_000, payload: {} });
 * const due = await tasks.claimDue(guildId, Date.now() + 60_000);
 * await tasks.complete(guildId, due[0].id);
 * ```
 *
 * @module
 */

import { newId } from "../../../storage/ids.ts";
import { encodeJson } from "../../../storage/guild_kv_limits.ts";
import {
  type GuildKvStore,
  type JsonValue,
  type KvCheck,
  type KvEntry,
  type KvWrite,
  StorageInputError,
} from "../../../storage/types.ts";
import type { TaskInfo } from "../../sandbox/protocol/mod.ts";

/** The guild KV store tasks live in (reserved: scripts cannot open it). */
export const TASK_STORE = "flora.tasks";

/** Limits of a guild's tasks; every field has a default. */
export interface TaskLimits {
  /**
   * Most pending tasks one guild may have.
   * @default {1000}
   */
  maxTasksPerGuild: number;
  /**
   * Largest payload, bytes of JSON.
   * @default {16384}
   */
  maxPayloadBytes: number;
  /**
   * Farthest ahead a task may be scheduled, ms.
   * @default {366 days}
   */
  maxDelayMs: number;
  /**
   * How long a claimed task waits for its handler to confirm before it fires again, ms.
   * @default {60_000}
   */
  leaseMs: number;
  /**
   * Deliveries of one task before it is dropped (its handler kept failing).
   * @default {5}
   */
  maxAttempts: number;
}

export const DEFAULT_TASK_LIMITS: TaskLimits = {
  maxTasksPerGuild: 1000,
  maxPayloadBytes: 16 * 1024,
  maxDelayMs: 366 * 86_400_000,
  leaseMs: 60_000,
  maxAttempts: 5,
};

/** A task as stored. */
export interface StoredTask extends TaskInfo {
  /** Epoch ms it is due (again, when a lease ran out). */
  dueAt: number;
}

/** What a script asks to schedule. */
export interface NewTask {
  name: string;
  /** Epoch ms. */
  dueAt: number;
  payload: JsonValue;
  key?: string;
}

const taskKey = (id: string) => `t:${id}`;
const dueKey = (dueAt: number, id: string) =>
  `d:${String(Math.max(0, dueAt)).padStart(15, "0")}:${id}`;
const keyKey = (key: string) => `k:${key}`;
const COUNT = "n";

/** A guild's durable tasks on its KV. */
export class GuildTasks {
  readonly limits: TaskLimits;

  constructor(readonly kv: GuildKvStore, limits: Partial<TaskLimits> = {}) {
    this.limits = { ...DEFAULT_TASK_LIMITS, ...limits };
  }

  /** Stores a task (replacing the one with the same key); resolves to it. */
  async schedule(guildId: string, input: NewTask, now = Date.now()): Promise<StoredTask> {
    const payloadBytes = encodeJson(input.payload, "task payload", Infinity).length;
    if (payloadBytes > this.limits.maxPayloadBytes) {
      throw new StorageInputError(
        `task payload is ${payloadBytes} bytes as JSON; the limit is ${this.limits.maxPayloadBytes} (store big data in kv and pass its key)`,
      );
    }
    if (!Number.isFinite(input.dueAt)) throw new StorageInputError("a task needs a time to run");
    if (input.dueAt - now > this.limits.maxDelayMs) {
      throw new StorageInputError(
        `a task may be scheduled at most ${
          Math.round(this.limits.maxDelayMs / 86_400_000)
        } days ahead`,
      );
    }
    const task: StoredTask = {
      id: newId(now),
      name: input.name,
      ...(input.key === undefined ? {} : { key: input.key }),
      payload: input.payload,
      scheduledAt: new Date(input.dueAt).toISOString(),
      dueAt: input.dueAt,
      attempt: 0,
    };
    await this.#transact(guildId, async () => {
      const [count, keyed] = await this.#read(guildId, [
        COUNT,
        ...(task.key ? [keyKey(task.key)] : []),
      ]);
      const old = keyed?.value === undefined
        ? null
        : await this.#task(guildId, keyed.value as string);
      const total = (count?.value as number | undefined ?? 0) + (old ? 0 : 1);
      if (total > this.limits.maxTasksPerGuild) {
        throw new StorageInputError(
          `this guild has ${
            total - 1
          } pending tasks; the limit is ${this.limits.maxTasksPerGuild} (cancel some first)`,
        );
      }
      const checks = [check(COUNT, count), ...(task.key ? [check(keyKey(task.key), keyed)] : [])];
      const writes: KvWrite[] = [
        set(taskKey(task.id), task),
        set(dueKey(task.dueAt, task.id), task.id),
        set(COUNT, total),
      ];
      if (task.key) writes.push(set(keyKey(task.key), task.id));
      if (old) {
        checks.push(check(taskKey(old.value.id), old.entry));
        writes.push(del(taskKey(old.value.id)), del(dueKey(old.value.dueAt, old.value.id)));
      }
      return await this.kv.atomic(guildId, checks, writes);
    });
    return task;
  }

  /** Cancels a task by id or by its key; false when there was none. */
  async cancel(guildId: string, by: { id: string } | { key: string }): Promise<boolean> {
    let found = false;
    await this.#transact(guildId, async () => {
      const id = "id" in by
        ? by.id
        : (await this.kv.get(guildId, TASK_STORE, keyKey(by.key)))?.value;
      const current = typeof id === "string" ? await this.#task(guildId, id) : null;
      found = current !== null;
      return current === null ? true : await this.#remove(guildId, current);
    });
    return found;
  }

  /** Marks a task done (its handler finished); false when it was already gone. */
  complete(guildId: string, id: string): Promise<boolean> {
    return this.cancel(guildId, { id });
  }

  /** A task by id or key, or null. */
  async get(guildId: string, by: { id: string } | { key: string }): Promise<StoredTask | null> {
    const id = "id" in by ? by.id : (await this.kv.get(guildId, TASK_STORE, keyKey(by.key)))?.value;
    return typeof id === "string" ? (await this.#task(guildId, id))?.value ?? null : null;
  }

  /** Pending tasks in the order they are due, a page at a time. */
  async list(
    guildId: string,
    options: { name?: string; limit?: number; cursor?: string } = {},
  ): Promise<{ tasks: StoredTask[]; cursor?: string }> {
    const page = await this.kv.list(guildId, TASK_STORE, {
      prefix: "d:",
      limit: options.limit ?? 100,
      cursor: options.cursor,
    });
    const tasks: StoredTask[] = [];
    for (const entry of page.entries) {
      const task = (await this.#task(guildId, entry.value as string))?.value;
      if (task && (options.name === undefined || task.name === options.name)) tasks.push(task);
    }
    return page.cursor ? { tasks, cursor: page.cursor } : { tasks };
  }

  /** When the guild's earliest task is due (epoch ms), or null when it has none. */
  async nextDue(guildId: string): Promise<number | null> {
    const page = await this.kv.list(guildId, TASK_STORE, { prefix: "d:", limit: 1 });
    const first = page.entries[0];
    return first ? Number(first.key.slice(2, 17)) : null;
  }

  /**
   * Claims up to `limit` tasks due at `now`: each gets its attempt counted
   * and is re-due when its lease ends. Tasks past `maxAttempts` are dropped
   * and returned in `dropped`.
   */
  async claimDue(
    guildId: string,
    now: number,
    limit = 50,
  ): Promise<{ claimed: StoredTask[]; dropped: StoredTask[] }> {
    const claimed: StoredTask[] = [];
    const dropped: StoredTask[] = [];
    const page = await this.kv.list(guildId, TASK_STORE, { prefix: "d:", limit });
    for (const entry of page.entries) {
      if (Number(entry.key.slice(2, 17)) > now) break;
      const current = await this.#task(guildId, entry.value as string);
      if (!current || dueKey(current.value.dueAt, current.value.id) !== entry.key) {
        // An index entry whose task is gone or moved (a crash between writes cannot leave
        // one, but an older layout might): drop it.
        await this.kv.atomic(guildId, [check(entry.key, entry)], [del(entry.key)]);
        continue;
      }
      const task = current.value;
      if (task.attempt >= this.limits.maxAttempts) {
        if (await this.#remove(guildId, current)) dropped.push(task);
        continue;
      }
      const next: StoredTask = {
        ...task,
        attempt: task.attempt + 1,
        dueAt: now + this.limits.leaseMs,
      };
      const ok = await this.kv.atomic(guildId, [check(taskKey(task.id), current.entry)], [
        set(taskKey(task.id), next),
        del(entry.key),
        set(dueKey(next.dueAt, task.id), task.id),
      ]);
      if (ok) claimed.push(next);
    }
    return { claimed, dropped };
  }

  async #task(
    guildId: string,
    id: string,
  ): Promise<{ entry: KvEntry; value: StoredTask } | null> {
    const entry = await this.kv.get(guildId, TASK_STORE, taskKey(id));
    return entry === null ? null : { entry, value: entry.value as unknown as StoredTask };
  }

  async #read(guildId: string, keys: string[]): Promise<(KvEntry | null)[]> {
    return await Promise.all(keys.map((key) => this.kv.get(guildId, TASK_STORE, key)));
  }

  /** Deletes a task, its index entries and its count, atomically. */
  async #remove(
    guildId: string,
    current: { entry: KvEntry; value: StoredTask },
  ): Promise<boolean> {
    const task = current.value;
    const [count, keyed] = await this.#read(guildId, [
      COUNT,
      ...(task.key ? [keyKey(task.key)] : []),
    ]);
    const checks = [check(taskKey(task.id), current.entry), check(COUNT, count)];
    const writes: KvWrite[] = [
      del(taskKey(task.id)),
      del(dueKey(task.dueAt, task.id)),
      set(COUNT, Math.max(0, (count?.value as number | undefined ?? 1) - 1)),
    ];
    // The key may point at a newer task by now (replaced): leave that one alone.
    if (task.key && keyed?.value === task.id) {
      checks.push(check(keyKey(task.key), keyed));
      writes.push(del(keyKey(task.key)));
    }
    return await this.kv.atomic(guildId, checks, writes);
  }

  /** Runs `attempt` until its atomic write goes through (storage changed under it otherwise). */
  async #transact(guildId: string, attempt: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 20; i++) {
      if (await attempt()) return;
    }
    throw new Error(`the tasks of guild ${guildId} kept changing under this operation; try again`);
  }
}

function check(key: string, entry: KvEntry | null): KvCheck {
  return { store: TASK_STORE, key, version: entry?.version ?? null };
}

function set(key: string, value: unknown): KvWrite {
  return { store: TASK_STORE, key, value: value as JsonValue };
}

function del(key: string): KvWrite {
  return { store: TASK_STORE, key, delete: true };
}
