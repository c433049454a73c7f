/**
 * Reactions as world operations — adding and removing them, and the
 * MESSAGE_REACTION_* events — shared by the bot's REST routes and users'
 * actions through the control API. Only Unicode emoji exist in the emulator.
 *
 * @module
 */

import { DiscordError, ErrorCodes } from "./errors.ts";
import { type EmulatorState } from "./state.ts";
import { Intents, type MessageRecord } from "./state_records.ts";
import type { ApiReaction } from "./types.ts";

export /** Parses the `:emoji` path segment: Unicode, or `name:id` for custom emoji. */
function parseEmoji(raw: string): { key: string; emoji: ApiReaction["emoji"] } {
  let value = raw;
  try {
    value = decodeURIComponent(raw);
  } catch {
    // Already decoded.
  }
  if (/^[\w~-]+:\d+$/.test(value) || value.length === 0) {
    // No custom emoji are emulated, so every `name:id` is unknown.
    throw new DiscordError(400, ErrorCodes.UnknownEmoji);
  }
  return { key: value, emoji: { id: null, name: value } };
}

export function reactionEvent(
  state: EmulatorState,
  t: string,
  record: MessageRecord,
  extra: Record<string, unknown>,
): void {
  const channel = state.channels.get(record.message.channel_id)?.channel;
  const guildId = channel?.guild_id;
  const d: Record<string, unknown> = {
    channel_id: record.message.channel_id,
    message_id: record.message.id,
    ...extra,
  };
  if (guildId) d.guild_id = guildId;
  state.emit({
    t,
    d,
    guildId,
    intent: guildId ? Intents.GUILD_MESSAGE_REACTIONS : Intents.DIRECT_MESSAGE_REACTIONS,
  });
}

/** `userId` reacts with `rawEmoji`; dispatches MESSAGE_REACTION_ADD. No-op if already reacted. */
export function addReaction(
  state: EmulatorState,
  channelId: string,
  messageId: string,
  userId: string,
  rawEmoji: string,
): void {
  const record = state.message(channelId, messageId);
  const { key, emoji } = parseEmoji(rawEmoji);
  const existing = record.reactions.get(key);
  if (existing?.users.includes(userId)) return;
  if (!existing && record.reactions.size >= 20) {
    throw new DiscordError(400, {
      code: 30010,
      message: "Maximum number of reactions reached (20)",
    });
  }
  const reaction = existing ?? { emoji, users: [] };
  reaction.users.push(userId);
  record.reactions.set(key, reaction);
  const guildId = state.channels.get(channelId)?.channel.guild_id;
  const extra: Record<string, unknown> = {
    user_id: userId,
    emoji,
    message_author_id: record.message.author.id,
    burst: false,
    burst_colors: [],
    type: 0,
  };
  if (guildId) extra.member = state.memberToApi(state.member(guildId, userId));
  reactionEvent(state, "MESSAGE_REACTION_ADD", record, extra);
}

/** Removes `userId`'s reaction; dispatches MESSAGE_REACTION_REMOVE. No-op if absent. */
export function removeReaction(
  state: EmulatorState,
  channelId: string,
  messageId: string,
  userId: string,
  rawEmoji: string,
): void {
  const record = state.message(channelId, messageId);
  const { key, emoji } = parseEmoji(rawEmoji);
  const reaction = record.reactions.get(key);
  if (!reaction || !reaction.users.includes(userId)) return;
  reaction.users = reaction.users.filter((id) => id !== userId);
  if (reaction.users.length === 0) record.reactions.delete(key);
  reactionEvent(state, "MESSAGE_REACTION_REMOVE", record, {
    user_id: userId,
    emoji,
    burst: false,
    type: 0,
  });
}
