/**
 * Parsers of the task operations' arguments (`task_operations.ts`).
 *
 * @module
 */

import type { TaskOperationArgsMap } from "../task_operations.ts";
import { fail, int, json, optional, str } from "./fields.ts";

type Parsers = {
  [N in keyof TaskOperationArgsMap]: (a: Record<string, unknown>) => TaskOperationArgsMap[N];
};

const name = (v: unknown, path: string) => str(v, path, 1, 64);
const key = (v: unknown, path: string) => str(v, path, 1, 256);
const id = (v: unknown, path: string) => str(v, path, 1, 64);

/** Exactly one of `id` and `key`. */
function idOrKey(a: Record<string, unknown>): { id?: string; key?: string } {
  if ((a.id === undefined) === (a.key === undefined)) fail("args", "give either id or key");
  return a.id !== undefined ? { id: id(a.id, "args.id") } : { key: key(a.key, "args.key") };
}

export const taskParsers: Parsers = {
  "tasks.schedule": (a) => {
    if ((a.at === undefined) === (a.inMs === undefined)) {
      fail("args", "give either at (epoch ms) or inMs");
    }
    return {
      name: name(a.name, "args.name"),
      ...(a.at === undefined ? {} : { at: int(a.at, "args.at") }),
      ...(a.inMs === undefined ? {} : { inMs: int(a.inMs, "args.inMs") }),
      payload: a.payload === undefined ? null : json(a.payload, "args.payload"),
      ...(a.key === undefined ? {} : { key: key(a.key, "args.key") }),
    };
  },
  "tasks.cancel": idOrKey,
  "tasks.get": idOrKey,
  "tasks.list": (a) => {
    const limit = optional(a.limit, (v) => int(v, "args.limit"));
    if (limit !== undefined && (limit < 1 || limit > 100)) fail("args.limit", "must be 1–100");
    return {
      name: optional(a.name, (v) => name(v, "args.name")),
      limit,
      cursor: optional(a.cursor, (v) => str(v, "args.cursor", 1, 1024)),
    };
  },
  "tasks.complete": (a) => ({ id: id(a.id, "args.id") }),
};
