/**
 * What the sandbox manager needs from the rest of the host: an executor for
 * the operations workers ask for, and optional hooks around worker life.
 *
 * @module
 */

import type { Deployment } from "../../storage/types.ts";
import type { LoadedMessage, LogLevel, OperationName } from "../sandbox/protocol/mod.ts";
import type { EffectJournaling } from "./effect_journaling.ts";
import type { EffectTenure } from "./guild_queue.ts";

/** Executes a validated operation for a guild; throws a readable error when refused. */
export interface OperationExecutor {
  execute(guildId: string, op: OperationName, args: unknown): Promise<unknown>;
}

/** Optional collaborators of the manager. */
export interface ManagerHooks {
  /** A script loaded (at deploy or cold start): e.g. the cron scheduler records its jobs. */
  onLoaded?(deployment: Deployment, message: LoadedMessage): void;
  /**
   * A serving worker was stopped or died. Returns a reason to suspend the
   * guild (crash loop, see `guard/crash_loop.ts`), or null to let it restart.
   */
  onWorkerFailure?(deployment: Deployment, reason: string, detail: string): string | null;
  /** Writes a line the script logged (instead of `logs.append`), e.g. through a volume limit. */
  onScriptLog?(guildId: string, level: LogLevel, message: string): void;
  /** Journals the mutating calls of a cluster's bus events, so a re-run repeats none of them. */
  effects?: EffectJournaling;
  /**
   * A cluster runtime node's tenure of `guildId`'s partition now, for an event delivered without
   * a bus handover (a cron or task run): its calls are fenced by it, as a bus event's are; and
   * for the calls a worker makes for no event before it was sent any under a tenure
   * (`stray_calls.ts`).
   */
  tenure?(guildId: string): EffectTenure;
  /**
   * Whether this node runs `guildId`'s events now (a cluster node: it owns the guild's
   * partition). A worker activated for a guild it does not run (a deploy made through this
   * node's API, or one synced to it) is stopped once activated, unless busy: it would otherwise
   * hold a resident slot and its memory for the idle timeout (5 minutes), and a node that takes
   * the deploys of every guild would hold a worker for each of them.
   */
  runsEvents?(guildId: string): boolean;
}
