/**
 * `tasks`: durable one-off tasks. A script schedules a task with a payload
 * (`tasks.schedule`); the host keeps it (across restarts and redeploys) and
 * sends a `task` event when it is due, which runs the handler declared with
 * `tasks.on`. A handler that finishes confirms the task; one that throws, or
 * whose worker dies, gets it again later (at least once, same `task.id`).
 *
 * @example
 * ```ts
 * tasks.on("remind", async (task) => {
 *   const { channelId, text } = task.payload as { channelId: string; text: string };
 *   await discord.sendMessage(channelId, text);
 * });
 * await tasks.schedule("remind", { in: "10m" }, { channelId, text: "Tea!" }, { key: `tea:${userId}` });
 * ```
 *
 * @module
 */

import type { TaskInfo } from "../runtime/sandbox/protocol/task_operations.ts";
import { call, log } from "./bridge.ts";
import { parseDuration } from "./duration.ts";
import type { JsonValue } from "./types.ts";

/** When a task runs: at an instant, or after a delay (ms or "90s", "15m", "2h", "1d"). */
export type TaskWhen = { at: Date | string | number } | { in: number | string };

/** A task by its id, or by the key the script gave it. */
export type TaskRef = string | { id: string } | { key: string };

const handlers = new Map<string, (task: TaskInfo) => unknown>();

function checkName(name: string): void {
  if (typeof name !== "string" || name.length < 1 || name.length > 64) {
    throw new TypeError("a task name must be 1-64 characters");
  }
}

function ref(task: TaskRef): { id: string } | { key: string } {
  if (typeof task === "string") return { id: task };
  if (task && typeof task === "object" && ("id" in task || "key" in task)) return task;
  throw new TypeError("name a task by its id (a string or { id }) or by { key }");
}

function when(spec: TaskWhen): { at: number } | { inMs: number } {
  if (spec && typeof spec === "object" && "at" in spec) {
    const at = spec.at instanceof Date ? spec.at.getTime() : new Date(spec.at).getTime();
    if (!Number.isFinite(at)) {
      throw new TypeError(`tasks.schedule: ${String(spec.at)} is not a time`);
    }
    return { at: Math.max(0, Math.round(at)) };
  }
  if (spec && typeof spec === "object" && "in" in spec) {
    return { inMs: Math.round(parseDuration(spec.in)) };
  }
  throw new TypeError('tasks.schedule needs { at: Date | ISO string } or { in: ms | "15m" }');
}

export const tasks = Object.freeze({
  /** Declares the handler of the tasks called `name`. Call at the top level of the script. */
  on(name: string, handler: (task: TaskInfo) => unknown): void {
    checkName(name);
    if (typeof handler !== "function") {
      throw new TypeError(`task "${name}" needs a handler function`);
    }
    if (handlers.has(name)) throw new Error(`task handler "${name}" is defined twice`);
    handlers.set(name, handler);
  },
  /**
   * Schedules a task; a task with the same `key` is replaced. Resolves to it
   * (its `id` cancels it). Limits (operator settings, by default 1,000 pending
   * tasks per guild, 16 KiB payloads, a year ahead) come back as errors.
   */
  async schedule(
    name: string,
    at: TaskWhen,
    payload: JsonValue = null,
    options: { key?: string } = {},
  ): Promise<TaskInfo> {
    checkName(name);
    return await call("tasks.schedule", { name, ...when(at), payload, ...options }) as TaskInfo;
  },
  /** Cancels a pending task; false when there was none. */
  async cancel(task: TaskRef): Promise<boolean> {
    return await call("tasks.cancel", ref(task)) as boolean;
  },
  /** A pending task, or null. */
  async get(task: TaskRef): Promise<TaskInfo | null> {
    return await call("tasks.get", ref(task)) as TaskInfo | null;
  },
  /** Pending tasks in the order they are due (optionally of one name), a page at a time. */
  async list(
    options: { name?: string; limit?: number; cursor?: string } = {},
  ): Promise<{ tasks: TaskInfo[]; cursor?: string }> {
    return await call("tasks.list", options) as { tasks: TaskInfo[]; cursor?: string };
  },
});

/** Runs a due task (the host's `task` event), then confirms it so it does not fire again. */
export async function runTask(task: TaskInfo): Promise<void> {
  const handler = handlers.get(task.name);
  if (!handler) {
    log(
      "warn",
      `task "${task.name}" (${task.id}) is due but the script has no tasks.on("${task.name}") handler; it will be tried again`,
    );
    return;
  }
  await handler(task);
  await call("tasks.complete", { id: task.id });
}
