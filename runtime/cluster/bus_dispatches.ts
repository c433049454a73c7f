/**
 * What a gateway node publishes for one gateway payload: each guild dispatch
 * goes to its guild's partition; READY, which names every guild of a shard,
 * is split into one READY per guild so each guild's partition owner gives that
 * guild's script its `ready`, as a single process does. What no guild owns
 * (direct messages, RESUMED, non-dispatch ops) is not published: scripts are
 * per guild, and a single process gives it to no script either.
 *
 * @module
 */

import type { GatewayPayload } from "../host/event_router.ts";
import type { BusEvent } from "./event_bus.ts";

/** Dispatches whose guild is their own id rather than `d.guild_id`. */
const GUILD_ITSELF = new Set(["GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"]);

/**
 * The bus events of one gateway payload: none for what no single guild owns,
 * one per guild for READY (a READY listing only that guild), else one. Ids are
 * `session:seq` (`session:seq:guild` for READY's parts), so a RESUME that
 * replays a dispatch produces the same id and the bus drops the copy. A
 * dispatch's `frame` (its JSON text as received) rides along; READY's parts
 * are new payloads.
 *
 * @example
 * ```ts
 * dispatchEvents({ op: 0, t: "MESSAGE_CREATE", s: 42, d: { guild_id: "1" } }, 0, "abc");
 * // [{ id: "abc:42", guildId: "1", shardId: 0, payload: … }]
 * dispatchEvents({ op: 0, t: "READY", s: 1, d: { guilds: [{ id: "1" }, { id: "2" }] } }, 0, "abc");
 * // [{ id: "abc:1:1", guildId: "1", … }, { id: "abc:1:2", guildId: "2", … }]
 * ```
 */
export function dispatchEvents(
  payload: GatewayPayload,
  shardId: number,
  sessionId: string | undefined,
  frame?: string,
): BusEvent[] {
  if (payload.op !== 0 || !payload.t || typeof payload.s !== "number") return [];
  if (typeof payload.d !== "object" || payload.d === null || sessionId === undefined) return [];
  const d = payload.d as Record<string, unknown>;
  if (payload.t === "READY") return readyEvents(d, payload.s, shardId, sessionId);
  const guildId = GUILD_ITSELF.has(payload.t) ? d.id : d.guild_id;
  if (typeof guildId !== "string") return [];
  return [{ id: `${sessionId}:${payload.s}`, guildId, shardId, payload, frame }];
}

/**
 * One READY per guild, carrying only that guild: the shard's session id and
 * resume URL stay on the gateway node, and a shard of thousands of guilds does
 * not copy the whole list into each guild's event.
 */
function readyEvents(
  d: Record<string, unknown>,
  s: number,
  shardId: number,
  sessionId: string,
): BusEvent[] {
  const events: BusEvent[] = [];
  for (const guild of Array.isArray(d.guilds) ? d.guilds : []) {
    const id = (guild as Record<string, unknown> | null)?.id;
    if (typeof id !== "string") continue;
    events.push({
      id: `${sessionId}:${s}:${id}`,
      guildId: id,
      shardId,
      payload: { op: 0, t: "READY", s, d: { guilds: [guild] } },
    });
  }
  return events;
}
