/**
 * Outbound HTTP requests. The guild passed on is the sandbox's own: which
 * hosts and secrets apply is decided by the fetcher from it.
 *
 * @module
 */

import type { OperationHandlers } from "./context.ts";

export const fetchOperations: OperationHandlers<"fetch"> = {
  fetch: (ctx, a) => {
    if (!ctx.fetch) {
      return Promise.reject(new Error("outbound fetch is not available on this host"));
    }
    return ctx.fetch.fetch(ctx.guildId, a);
  },
};
