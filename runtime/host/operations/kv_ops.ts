/**
 * The guild's key-value stores. The guild id passed to storage is the
 * sandbox's own; limits and their messages come from the store.
 *
 * @module
 */

import type { OperationHandlers } from "./context.ts";

type KvOp =
  | "kv.get"
  | "kv.set"
  | "kv.delete"
  | "kv.list"
  | "kv.compareAndSet"
  | "kv.increment";

export const kvOperations: OperationHandlers<KvOp> = {
  "kv.get": (ctx, a) => ctx.kv.get(ctx.guildId, a.store, a.key),
  "kv.set": (ctx, a) =>
    ctx.kv.set(ctx.guildId, a.store, a.key, a.value, { ttlMs: a.ttlMs, metadata: a.metadata }),
  "kv.delete": (ctx, a) => ctx.kv.delete(ctx.guildId, a.store, a.key),
  "kv.list": (ctx, a) =>
    ctx.kv.list(ctx.guildId, a.store, { prefix: a.prefix, cursor: a.cursor, limit: a.limit }),
  "kv.compareAndSet": (ctx, a) =>
    ctx.kv.compareAndSet(ctx.guildId, a.store, a.key, a.expectedVersion, a.value, {
      ttlMs: a.ttlMs,
      metadata: a.metadata,
    }),
  "kv.increment": (ctx, a) => ctx.kv.increment(ctx.guildId, a.store, a.key, a.by),
};
