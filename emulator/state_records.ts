/**
 * The shapes the emulated world is made of (guild, member, channel, message
 * and interaction records), Discord's intent and channel-type numbers, and
 * the world's time limits.
 *
 * @module
 */

import type {
  ApiBan,
  ApiChannel,
  ApiGuild,
  ApiInteraction,
  ApiMessage,
  ApiReaction,
  ApiRole,
} from "./types.ts";

/** Gateway intents, as Discord numbers them. */
export const Intents = {
  GUILDS: 1 << 0,
  GUILD_MEMBERS: 1 << 1,
  GUILD_MODERATION: 1 << 2,
  GUILD_PRESENCES: 1 << 8,
  GUILD_MESSAGES: 1 << 9,
  GUILD_MESSAGE_REACTIONS: 1 << 10,
  GUILD_MESSAGE_TYPING: 1 << 11,
  DIRECT_MESSAGES: 1 << 12,
  DIRECT_MESSAGE_REACTIONS: 1 << 13,
  DIRECT_MESSAGE_TYPING: 1 << 14,
  MESSAGE_CONTENT: 1 << 15,
} as const;

/** Channel types used by the emulator. */
export const ChannelTypes = {
  GUILD_TEXT: 0,
  DM: 1,
  GUILD_VOICE: 2,
  GUILD_CATEGORY: 4,
  ANNOUNCEMENT_THREAD: 10,
  PUBLIC_THREAD: 11,
  PRIVATE_THREAD: 12,
} as const;

/** An event the world announces; the gateway routes it to sessions. */
export interface DispatchEvent {
  t: string;
  d: unknown;
  /** Routes to the guild's shard; absent = shard 0 (DMs, user events). */
  guildId?: string;
  /** The intent a session needs to receive it; absent = always sent. */
  intent?: number;
  /** Message payloads whose content fields need MESSAGE_CONTENT. */
  contentGated?: boolean;
}

/** A guild member as stored (the user is looked up when serialized). */
export interface MemberRecord {
  userId: string;
  nick: string | null;
  roles: string[];
  joinedAt: string;
  communicationDisabledUntil: string | null;
  deaf: boolean;
  mute: boolean;
  flags: number;
  pending: boolean;
}

export interface GuildRecord {
  guild: Omit<ApiGuild, "roles">;
  roles: Map<string, ApiRole>;
  members: Map<string, MemberRecord>;
  channelIds: string[];
  bans: Map<string, ApiBan>;
  /** When the bot joined (GUILD_CREATE's `joined_at`). */
  joinedAt: string;
}

export interface MessageRecord {
  message: ApiMessage;
  /** When the message was pinned (ISO), while it is. */
  pinnedAt?: string;
  /** Reactions keyed by emoji (`name` or `name:id`), users in reaction order. */
  reactions: Map<string, { emoji: ApiReaction["emoji"]; users: string[] }>;
}

export interface ChannelRecord {
  channel: ApiChannel;
  messages: Map<string, MessageRecord>;
  pins: string[];
  /** Thread members (threads only). */
  threadMembers: Set<string>;
  /** When each user last posted, for slowmode (created on first use). */
  lastPostAt?: Map<string, number>;
}

/** One response the bot gave to an interaction (callback, followup, edit). */
export interface InteractionResponseRecord {
  kind: "callback" | "followup" | "edit" | "delete";
  at: number;
  type?: number;
  body: unknown;
  messageId?: string;
}

export interface InteractionRecord {
  interaction: ApiInteraction;
  createdAt: number;
  /** The initial callback's type, once acknowledged. */
  responseType: number | null;
  originalMessageId: string | null;
  responses: InteractionResponseRecord[];
  followupIds: string[];
}

/** How long an interaction's initial response may take, ms (Discord: 3 s). */
export const INTERACTION_RESPONSE_WINDOW_MS = 3000;
/** Messages a channel keeps before the oldest are forgotten, so long sessions stay small. */
export const MAX_MESSAGES_PER_CHANNEL = 1_000;
/** How long interaction tokens stay valid for followups, ms (Discord: 15 min). */
export const INTERACTION_TOKEN_TTL_MS = 15 * 60 * 1000;

/** ISO-8601 with Discord's `+00:00` suffix. */
export function isoTimestamp(at: number = Date.now()): string {
  return new Date(at).toISOString().replace("Z", "+00:00");
}

/** Thread channel types (10, 11, 12). */
export function isThread(type: number): boolean {
  return type === 10 || type === 11 || type === 12;
}
