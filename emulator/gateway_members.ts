/**
 * REQUEST_GUILD_MEMBERS (op 8): which members a request selects and the
 * GUILD_MEMBERS_CHUNK that answers it (always one chunk in the emulator).
 *
 * @module
 */

import { isRecord } from "./body.ts";
import { CloseCodes } from "./gateway_protocol.ts";
import { type EmulatorState } from "./state.ts";
import { Intents } from "./state_records.ts";

/** The chunk to dispatch, a close code, or nothing (a request for an unknown guild). */
export type MembersAnswer =
  | { chunk: Record<string, unknown> }
  | { close: number }
  | undefined;

/**
 * Answers a REQUEST_GUILD_MEMBERS `d` for a session with `intents`.
 *
 * @example
 * ```ts
 * const answer = answerMembersRequest(state, session.intents, frame.d);
 * if (answer && "chunk" in answer) dispatch("GUILD_MEMBERS_CHUNK", answer.chunk);
 * ```
 */
export function answerMembersRequest(
  state: EmulatorState,
  intents: number,
  d: unknown,
): MembersAnswer {
  if (!isRecord(d) || typeof d.guild_id !== "string") return undefined;
  const guild = state.guilds.get(d.guild_id);
  if (!guild) return undefined;
  const query = typeof d.query === "string" ? d.query.toLowerCase() : undefined;
  const userIds = Array.isArray(d.user_ids)
    ? d.user_ids.filter((id): id is string => typeof id === "string")
    : typeof d.user_ids === "string"
    ? [d.user_ids]
    : undefined;
  // Listing everyone needs the privileged GUILD_MEMBERS intent, as on Discord.
  if (!userIds && (query ?? "") === "" && !(intents & Intents.GUILD_MEMBERS)) {
    return { close: CloseCodes.DISALLOWED_INTENTS };
  }
  const limit = typeof d.limit === "number" && d.limit > 0 ? d.limit : Infinity;
  const members = [...guild.members.values()].filter((m) => {
    if (userIds) return userIds.includes(m.userId);
    const user = state.users.get(m.userId);
    return !query || (user?.username.toLowerCase().startsWith(query) ?? false) ||
      (m.nick?.toLowerCase().startsWith(query) ?? false);
  }).slice(0, limit);
  const found = new Set(members.map((m) => m.userId));
  const chunk: Record<string, unknown> = {
    guild_id: d.guild_id,
    members: members.map((m) => state.memberToApi(m)),
    chunk_index: 0,
    chunk_count: 1,
  };
  if (userIds) {
    const missing = userIds.filter((id) => !found.has(id));
    if (missing.length) chunk.not_found = missing;
  }
  if (typeof d.nonce === "string") chunk.nonce = d.nonce;
  return { chunk };
}
