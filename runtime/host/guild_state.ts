/**
 * A deployed guild as the sandbox manager tracks it: the deployment that
 * serves it, its worker (if one is resident), the deploys holding its queue,
 * and the queue of its events waiting for a worker.
 *
 * @module
 */

import type { Deployment } from "../../storage/types.ts";
import { ArrivalGap } from "./batch_hold.ts";
import { GuildQueue } from "./guild_queue.ts";
import type { GuildWorker } from "./guild_worker.ts";

/** A deployed guild: what serves it and what waits for it. */
export class Guild {
  /** The active deployment (known from storage even while no worker runs). */
  deployment: Deployment | null = null;
  /** The worker serving the active deployment, if resident (maybe still starting). */
  worker: GuildWorker | null = null;
  /** Deploys loading beside the active worker; while > 0 nothing is cold-started. */
  holds = 0;
  readonly queue: GuildQueue;
  /** How often its events come: whether holding them gathers more (`batch_hold.ts`). */
  readonly arrivals = new ArrivalGap();
  constructor(readonly id: string, maxBacklog: number) {
    this.queue = new GuildQueue(maxBacklog);
  }
}

/**
 * Whether a resident guild has something to do (starting, running events,
 * events waiting, or a deploy loading): such a guild is never evicted.
 *
 * @example
 * ```ts
 * isBusy(guilds.get(guildId)); // false: not resident, or nothing to do
 * ```
 */
export function isBusy(guild: Guild | undefined): boolean {
  if (!guild?.worker) return false;
  return !guild.worker.serving || guild.worker.inflight.size > 0 || guild.queue.length > 0 ||
    guild.holds > 0;
}
