/**
 * IDENTIFY's checks, in Discord's order (decode, token, intents, privileged
 * intents, shard, sharding required), and the READY payload a new session gets.
 * Pure: the gateway server decides what to close and what to send.
 *
 * @module
 */

import { isRecord } from "./body.ts";
import { CloseCodes } from "./gateway_protocol.ts";
import { shardForGuild } from "./snowflake.ts";
import { type EmulatorState } from "./state.ts";
import { Intents } from "./state_records.ts";

/** Every intent bit Discord defines (bits 0–16, 20, 21, 24, 25). */
const KNOWN_INTENTS = 0x1ffff | (1 << 20) | (1 << 21) | (1 << 24) | (1 << 25);
/** Privileged intents and the application flags (either of two bits) that allow them. */
const PRIVILEGED = [
  { intent: Intents.GUILD_PRESENCES, flags: (1 << 12) | (1 << 13) },
  { intent: Intents.GUILD_MEMBERS, flags: (1 << 14) | (1 << 15) },
  { intent: Intents.MESSAGE_CONTENT, flags: (1 << 18) | (1 << 19) },
];
/** Guilds one shard may carry before Discord requires sharding (4011). */
const MAX_GUILDS_PER_SHARD = 2500;

/** A valid IDENTIFY's shard and intents, or the close code that refuses it. */
export type IdentifyCheck =
  | { ok: true; shard: [number, number]; intents: number }
  | { ok: false; code: number };

/**
 * Whether a frame's token is the bot's (with or without the `Bot ` prefix).
 *
 * @example
 * ```ts
 * tokenMatches("Bot abc", "abc"); // true
 * ```
 */
export function tokenMatches(value: unknown, token: string): boolean {
  return value === token || value === `Bot ${token}`;
}

/**
 * Checks an IDENTIFY's `d` against the world (ALREADY_AUTHENTICATED is the
 * caller's, as it depends on the connection).
 *
 * @example
 * ```ts
 * const check = checkIdentify(frame.d, state, token);
 * if (!check.ok) server.closeConnection(connection, check.code);
 * ```
 */
export function checkIdentify(d: unknown, state: EmulatorState, token: string): IdentifyCheck {
  if (!isRecord(d) || typeof d.token !== "string" || !isRecord(d.properties)) {
    return { ok: false, code: CloseCodes.DECODE_ERROR };
  }
  if (!tokenMatches(d.token, token)) return { ok: false, code: CloseCodes.AUTHENTICATION_FAILED };
  const intents = d.intents;
  if (
    typeof intents !== "number" || !Number.isInteger(intents) || intents < 0 ||
    (intents & ~KNOWN_INTENTS) !== 0
  ) {
    return { ok: false, code: CloseCodes.INVALID_INTENTS };
  }
  const flags = state.application.flags;
  if (PRIVILEGED.some((p) => (intents & p.intent) !== 0 && (flags & p.flags) === 0)) {
    return { ok: false, code: CloseCodes.DISALLOWED_INTENTS };
  }
  let shard: [number, number] = [0, 1];
  if (d.shard !== undefined) {
    const s = d.shard;
    if (
      !Array.isArray(s) || s.length !== 2 || !Number.isInteger(s[0]) ||
      !Number.isInteger(s[1]) || s[1] < 1 || s[0] < 0 || s[0] >= s[1]
    ) {
      return { ok: false, code: CloseCodes.INVALID_SHARD };
    }
    shard = [s[0], s[1]];
  }
  // Discord caps a shard at 2500 guilds.
  const botGuilds = [...state.guilds.values()]
    .filter((g) => g.members.has(state.botUser.id)).length;
  if (botGuilds / shard[1] > MAX_GUILDS_PER_SHARD) {
    return { ok: false, code: CloseCodes.SHARDING_REQUIRED };
  }
  return { ok: true, shard, intents };
}

/** The guilds, holding the bot, that a shard carries. */
export function shardGuildIds(state: EmulatorState, shard: [number, number]): string[] {
  return [...state.guilds.keys()].filter((id) =>
    shardForGuild(id, shard[1]) === shard[0] &&
    state.guilds.get(id)?.members.has(state.botUser.id)
  );
}

/** READY's `d` for a new session on `shard` carrying `guildIds`. */
export function readyPayload(
  state: EmulatorState,
  session: { id: string; shard: [number, number] },
  guildIds: string[],
  resumeGatewayUrl: string,
): Record<string, unknown> {
  return {
    v: 10,
    user: { ...state.botUser, verified: true, mfa_enabled: false, email: null, locale: "en-US" },
    user_settings: {},
    guilds: guildIds.map((id) => ({ id, unavailable: true })),
    presences: [],
    private_channels: [],
    relationships: [],
    guild_join_requests: [],
    geo_ordered_rtc_regions: ["us-east"],
    session_type: "normal",
    session_id: session.id,
    resume_gateway_url: resumeGatewayUrl,
    shard: session.shard,
    application: { id: state.application.id, flags: state.application.flags },
    auth: {},
  };
}
