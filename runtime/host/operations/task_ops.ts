/**
 * The guild's durable tasks: schedule, cancel, look up, list, and confirm a
 * finished handler. The guild id is the sandbox's own; limits and their
 * messages come from `tasks/guild_tasks.ts`.
 *
 * @module
 */

import type { TaskOperationArgsMap } from "../../sandbox/protocol/mod.ts";
import type { OperationHandlers } from "./context.ts";

export const taskOperations: OperationHandlers<keyof TaskOperationArgsMap> = {
  "tasks.schedule": (ctx, a) => ctx.tasks.schedule(ctx.guildId, a),
  "tasks.cancel": (ctx, a) => ctx.tasks.cancel(ctx.guildId, a),
  "tasks.get": (ctx, a) => ctx.tasks.get(ctx.guildId, a),
  "tasks.list": (ctx, a) => ctx.tasks.list(ctx.guildId, a),
  "tasks.complete": (ctx, a) => ctx.tasks.complete(ctx.guildId, a.id),
};
