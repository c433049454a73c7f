/**
 * What one session sees of a world event: whether its shard and intents
 * receive it at all, and the payload trimmed as Discord trims it (message
 * content without MESSAGE_CONTENT, GUILD_CREATE's members without
 * GUILD_PRESENCES).
 *
 * @module
 */

import { isRecord } from "./body.ts";
import type { GatewaySession } from "./gateway_protocol.ts";
import { shardForGuild } from "./snowflake.ts";
import { type DispatchEvent, Intents } from "./state_records.ts";

/**
 * The `d` a session receives for `event`, or undefined when its shard or
 * intents do not receive the event.
 *
 * @example
 * ```ts
 * const view = sessionView(session, event, state.botUser.id);
 * if (view) dispatch(session, event.t, view.d);
 * ```
 */
export function sessionView(
  session: GatewaySession,
  event: DispatchEvent,
  botId: string,
): { d: unknown } | undefined {
  const shard = event.guildId === undefined ? 0 : shardForGuild(event.guildId, session.shard[1]);
  if (shard !== session.shard[0]) return undefined;
  if (event.intent !== undefined && (session.intents & event.intent) === 0) return undefined;
  let d = event.d;
  if (event.contentGated && !(session.intents & Intents.MESSAGE_CONTENT) && isRecord(d)) {
    d = { ...d, content: "", embeds: [], attachments: [], components: [] };
    delete (d as Record<string, unknown>).poll;
  }
  if (event.t === "GUILD_CREATE") d = guildCreateFor(session.intents, d, botId);
  return { d };
}

/**
 * Without GUILD_PRESENCES, Discord's GUILD_CREATE lists only the bot itself
 * among `members` (and voice members, which the emulator has none of).
 */
export function guildCreateFor(intents: number, d: unknown, botId: string): unknown {
  if (intents & Intents.GUILD_PRESENCES || !isRecord(d) || !Array.isArray(d.members)) {
    return d;
  }
  return {
    ...d,
    members: d.members.filter((m) => isRecord(m) && isRecord(m.user) && m.user.id === botId),
  };
}
