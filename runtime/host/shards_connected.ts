/**
 * When a node's gateway is ready: every shard it runs connected. Discordeno's
 * `bot.start()` resolves later, after the last shard's READY and then its
 * identify spacing (`spawnShardDelay`, 5.3 s by default), which holds the
 * shard's bucket for the bucket's next IDENTIFY. That hold guards Discord's
 * identify limit, not this node's readiness: waiting for it made every start
 * 5.3 s longer for nothing. The bucket stays held meanwhile; only the wait goes.
 *
 * @module
 */

import { ShardState } from "@discordeno/bot";

/** The part of Discordeno's gateway manager read here. */
export interface ShardRoster {
  firstShardId: number;
  lastShardId: number;
  shards: ReadonlyMap<number, { state: ShardState }>;
}

/** How often the shards' states are looked at while the start runs, ms. */
export const CONNECTED_POLL_MS = 20;

/**
 * Resolves once every shard from `firstShardId` to `lastShardId` is
 * connected, or once `starting` (the gateway's start) settles; rejects if it
 * rejects first. A rejection after that is handed to `onLateError`, since
 * nobody awaits the start any more.
 *
 * @example
 * ```ts
 * const starting = bot.start();
 * await shardsConnected(bot.gateway, starting, (error) => console.error(error));
 * ```
 */
export function shardsConnected(
  roster: ShardRoster,
  starting: Promise<void>,
  onLateError: (error: unknown) => void,
): Promise<void> {
  let settled = false;
  return new Promise<void>((resolve, reject) => {
    const done = (error?: unknown, failed = false) => {
      if (settled) {
        if (failed) onLateError(error);
        return;
      }
      settled = true;
      clearInterval(timer);
      if (failed) reject(error);
      else resolve();
    };
    const timer = setInterval(() => {
      if (allConnected(roster)) done();
    }, CONNECTED_POLL_MS);
    starting.then(() => done(), (error) => done(error, true));
  });
}

function allConnected(roster: ShardRoster): boolean {
  if (roster.lastShardId < roster.firstShardId) return false;
  for (let id = roster.firstShardId; id <= roster.lastShardId; id++) {
    if (roster.shards.get(id)?.state !== ShardState.Connected) return false;
  }
  return true;
}
