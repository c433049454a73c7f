/**
 * The guild's sorted sets (leaderboards). The guild id passed to storage is
 * the sandbox's own; limits and their messages come from the store.
 *
 * @module
 */

import type { SortedOperationArgsMap } from "../../sandbox/protocol/mod.ts";
import type { OperationHandlers } from "./context.ts";

export const sortedOperations: OperationHandlers<keyof SortedOperationArgsMap> = {
  "sorted.incr": (ctx, a) => ctx.sorted.incr(ctx.guildId, a.store, a.key, a.by),
  "sorted.set": async (ctx, a) => {
    await ctx.sorted.set(ctx.guildId, a.store, a.key, a.score);
    return null;
  },
  "sorted.score": (ctx, a) => ctx.sorted.score(ctx.guildId, a.store, a.key),
  "sorted.delete": (ctx, a) => ctx.sorted.delete(ctx.guildId, a.store, a.key),
  "sorted.top": (ctx, a) => ctx.sorted.top(ctx.guildId, a.store, a.n),
  "sorted.rank": (ctx, a) => ctx.sorted.rank(ctx.guildId, a.store, a.key),
  "sorted.range": (ctx, a) =>
    ctx.sorted.range(ctx.guildId, a.store, {
      min: a.min,
      max: a.max,
      limit: a.limit,
      cursor: a.cursor,
    }),
};
