/**
 * `kv.transact`'s two steps on the host: read several entries with their
 * versions, then write several keys only if none changed. The guild id is
 * the sandbox's own; limits and their messages come from the store.
 *
 * @module
 */

import type { KvTransactionOperationArgsMap } from "../../sandbox/protocol/mod.ts";
import type { OperationHandlers } from "./context.ts";

export const kvTransactionOperations: OperationHandlers<keyof KvTransactionOperationArgsMap> = {
  // Not one snapshot: `kv.atomic` checks every version, so a read that raced a write fails there.
  "kv.getMany": (ctx, a) =>
    Promise.all(a.refs.map(({ store, key }) => ctx.kv.get(ctx.guildId, store, key))),
  "kv.atomic": (ctx, a) => ctx.kv.atomic(ctx.guildId, a.checks, a.writes),
};
