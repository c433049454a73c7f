/**
 * Calls a guild's worker makes for no event: from a timer or an unawaited
 * promise that outlived its handler, or from the `ready` a fresh worker gets.
 * On a cluster runtime node they act for the guild's partition like its
 * events' calls, so they are fenced too (`effect_fencing.ts`): by the tenure of
 * the latest event the worker was sent under one (a bus event, a cron or task
 * run), or, before any, by this node's tenure of the partition when the call
 * is made. A node paused past its lease, or one that gave the partition away,
 * then lands none of them beside the partition's next owner. Allowlisted:
 * calls made while the script loads (a deploy's top-level code, which runs on
 * whichever node the deploy reached, owner of the guild or not), and every
 * call on a node that fences nothing (a single process, an api node).
 *
 * @module
 */

import type { EffectTenure } from "./guild_queue.ts";
import type { GuildWorker } from "./guild_worker.ts";

/** What a refusal of a call made for no event says becomes of it. */
export const STRAY_OUTCOME = "a call made for no event (a timer or promise that outlived " +
  "its handler) acts only while this node holds the partition its worker's events came under";

/**
 * The tenure a call `worker` makes now for no event acts under; undefined when it is not
 * fenced (no `current`: a node that fences nothing; or the script is still loading). A
 * refusal leaves every event alone (`fenced` does nothing): the call belongs to none.
 *
 * @param current this node's tenure of a guild's partition now (`ManagerHooks.tenure`).
 *
 * @example
 * ```ts ignore
 * const tenure = strayTenure(worker, hooks.tenure);
 * tenure?.mayAct(); // false once the worker's latest event's lease lapsed
 * ```
 */
export function strayTenure(
  worker: GuildWorker,
  current: ((guildId: string) => EffectTenure) | undefined,
): EffectTenure | undefined {
  if (!current || worker.loading) return undefined;
  const under = worker.tenure ?? current(worker.key.guildId);
  return {
    partition: under.partition,
    mayAct: () => under.mayAct(),
    fenced() {},
    outcome: STRAY_OUTCOME,
  };
}
