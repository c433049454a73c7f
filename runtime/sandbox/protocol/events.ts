/**
 * The gateway events a script can receive, which of them may be dropped
 * under backlog, and how consecutive droppable events are cut into batches.
 *
 * @module
 */

/** Events a guild script can receive; payloads are Discord's dispatch data (snake_case). */
export const SCRIPT_EVENT_NAMES = [
  "ready",
  "messageCreate",
  "messageUpdate",
  "messageDelete",
  "messageDeleteBulk",
  "reactionAdd",
  "reactionRemove",
  "reactionRemoveAll",
  "reactionRemoveEmoji",
  "memberAdd",
  "memberUpdate",
  "memberRemove",
  "roleCreate",
  "roleUpdate",
  "roleDelete",
  "channelCreate",
  "channelUpdate",
  "channelDelete",
  "threadCreate",
  "threadUpdate",
  "threadDelete",
  "guildUpdate",
  "interactionCreate",
  /** A `cron()` job is due; payload `{ name, scheduledAt }`. Fired by the host's scheduler. */
  "cron",
  /** A task the script scheduled is due; payload `TaskInfo`. Fired by the host's task scheduler. */
  "task",
] as const;
export type ScriptEventName = typeof SCRIPT_EVENT_NAMES[number];

/**
 * Chatty events: losing one costs nobody an answer. The host drops them past
 * a guild's backlog, and several may reach a worker in one
 * {@linkcode EventBatchMessage} (a worker wake-up costs far more than a
 * no-op handler, so batching is what lets throughput scale).
 */
export const DROPPABLE_EVENTS: ReadonlySet<string> = new Set<string>([
  "messageCreate",
  "messageUpdate",
  "typingStart",
  "presenceUpdate",
]);

/**
 * Whether an event may be dropped under backlog (and batched).
 *
 * @example
 * ```ts
 * isDroppable("messageCreate"); // true
 * isDroppable("interactionCreate"); // false: somebody waits for an answer
 * ```
 */
export function isDroppable(name: string): boolean {
  return DROPPABLE_EVENTS.has(name);
}

/**
 * How many events from `start` make one batch: the event alone, or the run
 * of consecutive droppable events there, at most `max`.
 *
 * @example
 * ```ts
 * const names = ["messageCreate", "messageUpdate", "interactionCreate"].map((name) => ({ name }));
 * batchLength(names, 0, 64); // 2
 * batchLength(names, 2, 64); // 1
 * ```
 */
export function batchLength(
  events: ArrayLike<{ name: string } | undefined>,
  start: number,
  max: number,
): number {
  const first = events[start];
  if (!first) return 0;
  if (!isDroppable(first.name)) return 1;
  let n = 1;
  while (n < max && start + n < events.length) {
    const next = events[start + n];
    if (!next || !isDroppable(next.name)) break;
    n++;
  }
  return n;
}

/** Most events a sandbox process hands a worker in one {@linkcode EventBatchMessage}. */
export const MAX_BATCH = 64;
