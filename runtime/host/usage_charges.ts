/**
 * What the sandbox manager charges to a guild's usage (`guild_usage.ts`):
 * each finished batch (events, handler errors, worker CPU) and each host
 * operation (KV operations, Discord calls).
 *
 * @module
 */

import type { EventsDoneMessage, OperationName } from "../sandbox/protocol/mod.ts";
import type { GuildUsage } from "./guild_usage.ts";

/**
 * Charges a finished batch: events handled, handler errors, and the worker's
 * CPU growth since `lastCpuMs`. Returns the CPU figure to remember.
 *
 * @example
 * ```ts
 * worker.cpuMs = chargeBatch(usage, guildId, message, worker.cpuMs);
 * ```
 */
export function chargeBatch(
  usage: GuildUsage,
  guildId: string,
  message: EventsDoneMessage,
  lastCpuMs: number,
): number {
  usage.add(guildId, "eventsHandled", message.ids.length);
  usage.add(guildId, "errors", message.errors);
  if (message.cpuMs === undefined) return lastCpuMs;
  // The worker reports its thread's CPU so far; a guild is charged what grew since.
  usage.add(guildId, "cpuMs", message.cpuMs - lastCpuMs);
  return Math.max(lastCpuMs, message.cpuMs);
}

/** Charges a host operation: a KV operation, or a Discord call (fetch is neither). */
export function chargeOperation(usage: GuildUsage, guildId: string, op: OperationName): void {
  if (op.startsWith("kv.")) usage.add(guildId, "kvOps");
  else if (op !== "fetch") usage.add(guildId, "discordCalls");
}
