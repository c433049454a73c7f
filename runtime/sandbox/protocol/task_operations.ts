/**
 * Durable one-off tasks (`tasks.schedule` in a script): the operations, and
 * the `task` event the host sends when one is due. Part of
 * `OperationArgsMap`; parsed by `parse/task_args.ts`.
 *
 * @module
 */

import type { JsonValue } from "./values.ts";

/** A scheduled task as a script sees it (the `task` event's payload, and `tasks.list`). */
export interface TaskInfo {
  /** Unique; the same on every delivery of this task (use it to act once). */
  id: string;
  /** The handler it runs (`tasks.on(name, …)`). */
  name: string;
  /** The key the script chose, if any. */
  key?: string;
  payload: JsonValue;
  /** When it was due (ISO 8601). */
  scheduledAt: string;
  /** 1 on the first delivery, 2 on the next when the previous one did not finish. */
  attempt: number;
}

export interface TaskOperationArgsMap {
  /**
   * Schedule a task at an instant (`at`, epoch ms) or after a delay (`inMs`);
   * a task with the same `key` is replaced. Result: its `TaskInfo`.
   */
  "tasks.schedule": { name: string; at?: number; inMs?: number; payload: JsonValue; key?: string };
  /** Cancel by id or key; result: whether there was such a task. */
  "tasks.cancel": { id?: string; key?: string };
  /** A task by id or key; result: `TaskInfo` or null. */
  "tasks.get": { id?: string; key?: string };
  /** Pending tasks in due order; result: `{ tasks: TaskInfo[], cursor? }`. */
  "tasks.list": { name?: string; limit?: number; cursor?: string };
  /** The task's handler finished: it will not fire again. */
  "tasks.complete": { id: string };
}

export const TASK_OPERATION_NAMES = [
  "tasks.schedule",
  "tasks.cancel",
  "tasks.get",
  "tasks.list",
  "tasks.complete",
] as const satisfies readonly (keyof TaskOperationArgsMap)[];
