/**
 * Pieces of starting a guild's worker: the load message its process gets,
 * the start slot it holds while loading, and what happens to the guild's
 * waiting events when its script cannot start.
 *
 * @module
 */

import type { Deployment } from "../../storage/types.ts";
import { type LoadMessage, PROTOCOL_VERSION } from "../sandbox/protocol/mod.ts";
import { settle } from "./guild_queue.ts";
import type { Guild } from "./guild_state.ts";
import type { ProcessLoad } from "./process_load.ts";

/**
 * The message that starts a deployment's script in a worker.
 *
 * @example
 * ```ts
 * pool.spawn(worker.key, loadMessage(deployment));
 * ```
 */
export function loadMessage(deployment: Deployment): LoadMessage {
  return {
    v: PROTOCOL_VERSION,
    type: "load",
    guildId: deployment.guildId,
    deploymentId: deployment.id,
    entry: deployment.bundle.entry,
    code: deployment.bundle.code,
    sourceMap: deployment.bundle.sourceMap,
  };
}

/**
 * Frees a start slot of a process and offers the open slots to the guilds
 * waiting for one (in the order they asked).
 *
 * @example
 * ```ts
 * if (load.starts.tryEnter(guild)) leaveStart(load, (g) => pump(g)); // once its load settles
 * ```
 */
export function leaveStart(load: ProcessLoad<Guild>, pump: (guild: Guild) => void): void {
  load.starts.leave();
  while (load.starts.open) {
    const next = load.starts.nextWaiting();
    if (!next) break;
    pump(next);
  }
}

/**
 * Nothing can run a guild's waiting events now its script failed to start:
 * settles them all and answers the interactions among them.
 *
 * @example
 * ```ts
 * abandonQueue(guild, (payload) => failInteraction(payload, "failed to start"));
 * ```
 */
export function abandonQueue(guild: Guild, failInteraction: (payload: unknown) => void): void {
  for (const event of guild.queue.drain()) {
    settle(event);
    if (event.name === "interactionCreate") failInteraction(event.payload);
  }
}
