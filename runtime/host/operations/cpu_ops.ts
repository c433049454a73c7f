/**
 * CPU bursts: the guild's bucket pays for a longer budget of the running
 * handler. The sandbox process is told by the caller of the operation
 * (`worker_messages.ts`), which knows the asking worker.
 *
 * @module
 */

import type { CpuOperationArgsMap } from "../../sandbox/protocol/mod.ts";
import type { OperationHandlers } from "./context.ts";

export const cpuOperations: OperationHandlers<keyof CpuOperationArgsMap> = {
  "cpu.burst": (ctx, a) => {
    if (!ctx.bursts) throw new Error("CPU bursts are off on this flora");
    return Promise.resolve(ctx.bursts.grant(ctx.guildId, a.ms));
  },
};
