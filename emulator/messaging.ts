/**
 * Creating, editing and deleting messages the way Discord does — validation,
 * mention parsing, replies, permission checks — shared by REST (the bot),
 * interaction responses and the control API (users). Every change is
 * announced on the gateway.
 *
 * @module
 */

import type { UploadedFile } from "./body.ts";
import { isRecord } from "./body.ts";
import { IS_COMPONENTS_V2 } from "./components.ts";
import { DiscordError, ErrorCodes, invalidField } from "./errors.ts";
import {
  checkSlowmode,
  requireChannelPermissions,
  requireContentPermissions,
} from "./message_access.ts";
import {
  allowsRepliedUser,
  embedsOf,
  parseMentions,
  snapshotOf,
  storedComponents,
  uploadAttachments,
} from "./message_parts.ts";
import { hasPayload, validateMessageBody } from "./message_validation.ts";
import { Permissions } from "./permissions.ts";
import { type EmulatorState } from "./state.ts";
import {
  type ChannelRecord,
  Intents,
  isoTimestamp,
  isThread,
  type MessageRecord,
} from "./state_records.ts";
import type { ApiInteractionMetadata, ApiMessage, ApiUser } from "./types.ts";

/** How long enforce_nonce deduplicates, ms (Discord: "a few minutes"). */
const NONCE_WINDOW_MS = 5 * 60 * 1000;

/** `message_reference.type`: a reply (0) or a forward (1). */
export const MessageReferenceTypes = { DEFAULT: 0, FORWARD: 1 } as const;

/** Message types the emulator produces. */
export const MessageTypes = { DEFAULT: 0, REPLY: 19, CHAT_INPUT_COMMAND: 20 } as const;

/** Message flags. */
export const MessageFlags = {
  SUPPRESS_EMBEDS: 1 << 2,
  EPHEMERAL: 1 << 6,
  LOADING: 1 << 7,
  SUPPRESS_NOTIFICATIONS: 1 << 12,
  IS_COMPONENTS_V2,
} as const;

/** Extra facts about who is posting (webhooks, interactions). */
export interface PostExtras {
  webhookId?: string;
  applicationId?: string;
  interactionMetadata?: ApiInteractionMetadata;
  type?: number;
  /** Flags callers may set beyond what a plain POST allows (EPHEMERAL, LOADING). */
  allowedFlags?: number;
  /** Skip permission checks (interaction responses post via the app's webhook). */
  skipPermissions?: boolean;
  /** Empty messages are allowed (deferred "thinking" placeholders). */
  allowEmpty?: boolean;
}

/** Posts a message as `author` into a channel and dispatches MESSAGE_CREATE. */
export function postMessage(
  state: EmulatorState,
  channelId: string,
  author: ApiUser,
  body: Record<string, unknown>,
  files: UploadedFile[] = [],
  extras: PostExtras = {},
): MessageRecord {
  const channelRecord = state.channel(channelId);
  const channel = channelRecord.channel;
  validateMessageBody(body, files);
  const isForward = isRecord(body.message_reference) &&
    body.message_reference.type === MessageReferenceTypes.FORWARD;
  if (!extras.allowEmpty && !isForward && !hasPayload(body, files)) {
    throw new DiscordError(400, ErrorCodes.CannotSendEmptyMessage);
  }
  if (channel.type === 4) {
    throw new DiscordError(400, {
      code: 50008,
      message: "Cannot send messages in a non-text channel",
    });
  }
  const threadMeta = isThread(channel.type) ? channel.thread_metadata : undefined;
  if (threadMeta?.locked && channel.guild_id && !extras.skipPermissions) {
    // Only members with MANAGE_THREADS may post in (and thereby reopen) a locked thread.
    const perms = state.permissions(channel.guild_id, author.id, channelId);
    if (!(perms & Permissions.MANAGE_THREADS)) {
      throw new DiscordError(400, { code: 160005, message: "Thread is locked" });
    }
  }
  if (channel.type === 1 && author.id === state.botUser.id) {
    // Bots can only DM users they share a guild with.
    const recipient = channel.recipients?.[0]?.id ?? "";
    const shared = [...state.guilds.values()].some((g) =>
      g.members.has(recipient) && g.members.has(author.id)
    );
    if (!shared) throw new DiscordError(403, ErrorCodes.CannotSendToUser);
  }
  if (channel.guild_id && !extras.skipPermissions) {
    const send = isThread(channel.type)
      ? Permissions.SEND_MESSAGES_IN_THREADS
      : Permissions.SEND_MESSAGES;
    requireChannelPermissions(state, channelId, author.id, send);
    requireContentPermissions(state, channelId, author.id, body, files);
  }
  if (!extras.skipPermissions) checkSlowmode(state, channelId, author.id);
  // enforce_nonce: a repeated nonce from the same author returns the message already created.
  if (
    body.enforce_nonce === true &&
    (typeof body.nonce === "string" || typeof body.nonce === "number")
  ) {
    const existing = [...channelRecord.messages.values()].find((m) =>
      m.message.author.id === author.id && m.message.nonce === body.nonce &&
      Date.now() - Date.parse(m.message.timestamp) < NONCE_WINDOW_MS
    );
    if (existing) return existing;
  }
  const flagsIn = typeof body.flags === "number" ? body.flags : 0;
  const settable = MessageFlags.SUPPRESS_EMBEDS | MessageFlags.SUPPRESS_NOTIFICATIONS |
    MessageFlags.IS_COMPONENTS_V2 | (extras.allowedFlags ?? 0);
  if (flagsIn & ~settable) {
    throw invalidField(["flags"], "MESSAGE_FLAGS_INVALID", "Invalid flags for this message.");
  }
  let referenced: MessageRecord | undefined;
  const reference = isRecord(body.message_reference) ? body.message_reference : undefined;
  const forward = reference?.type === MessageReferenceTypes.FORWARD;
  if (reference) {
    const refChannel = reference.channel_id !== undefined && reference.channel_id !== null
      ? String(reference.channel_id)
      : channelId;
    const refId = reference.message_id !== undefined && reference.message_id !== null
      ? String(reference.message_id)
      : undefined;
    referenced = refId ? state.channels.get(refChannel)?.messages.get(refId) : undefined;
    if (forward && !referenced) {
      // A forward needs the source: an unknown one fails whatever fail_if_not_exists says.
      throw invalidField(
        ["message_reference"],
        "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
        "Unknown message",
      );
    }
    if (forward && referenced && !extras.skipPermissions) {
      requireChannelPermissions(
        state,
        refChannel,
        author.id,
        Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY,
      );
    }
    if (!referenced && reference.fail_if_not_exists !== false) {
      throw invalidField(
        ["message_reference"],
        "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
        "Unknown message",
      );
    }
    if (referenced && channel.guild_id && !extras.skipPermissions) {
      requireChannelPermissions(state, channelId, author.id, Permissions.READ_MESSAGE_HISTORY);
    }
  }
  const content = typeof body.content === "string" ? body.content : "";
  const mentions = parseMentions(
    state,
    channel.guild_id,
    channelId,
    author.id,
    content,
    body.allowed_mentions,
  );
  if (referenced && !forward && allowsRepliedUser(body.allowed_mentions)) {
    const repliedTo = referenced.message.author;
    if (!mentions.users.some((u) => u.id === repliedTo.id)) mentions.users.push(repliedTo);
  }
  const now = Date.now();
  const message: ApiMessage = {
    id: state.ids.next(now),
    channel_id: channelId,
    author,
    content,
    timestamp: isoTimestamp(now),
    edited_timestamp: null,
    // Without SEND_TTS_MESSAGES Discord quietly sends the message without text-to-speech.
    tts: body.tts === true &&
      (!channel.guild_id || extras.skipPermissions === true ||
        (state.permissions(channel.guild_id, author.id, channelId) &
            Permissions.SEND_TTS_MESSAGES) !== 0n),
    mention_everyone: mentions.everyone,
    mentions: mentions.users,
    mention_roles: mentions.roles,
    attachments: [],
    embeds: [],
    pinned: false,
    type: extras.type ?? (referenced ? MessageTypes.REPLY : MessageTypes.DEFAULT),
    flags: flagsIn,
    components: Array.isArray(body.components) ? storedComponents(body.components) : [],
  };
  message.attachments = uploadAttachments(state, channelId, files, body.attachments);
  message.embeds = embedsOf(body.embeds, message.attachments);
  if (
    body.nonce !== undefined && (typeof body.nonce === "string" || typeof body.nonce === "number")
  ) {
    message.nonce = body.nonce;
  }
  if (extras.webhookId) message.webhook_id = extras.webhookId;
  if (extras.applicationId) message.application_id = extras.applicationId;
  if (extras.interactionMetadata) message.interaction_metadata = extras.interactionMetadata;
  if (reference && referenced && forward) {
    // A forward carries a snapshot of the message as it is now, not a live reply.
    message.message_reference = {
      type: MessageReferenceTypes.FORWARD,
      message_id: referenced.message.id,
      channel_id: referenced.message.channel_id,
      guild_id: state.channels.get(referenced.message.channel_id)?.channel.guild_id,
    };
    message.message_snapshots = [{ message: snapshotOf(referenced.message) }];
    message.type = MessageTypes.DEFAULT;
  } else if (reference && referenced) {
    message.message_reference = {
      type: MessageReferenceTypes.DEFAULT,
      message_id: referenced.message.id,
      channel_id: referenced.message.channel_id,
      guild_id: channel.guild_id,
    };
    message.referenced_message = state.messageToApi(referenced);
  }
  if (threadMeta?.archived) {
    // Posting in an archived thread unarchives it, as on Discord.
    threadMeta.archived = false;
    threadMeta.archive_timestamp = isoTimestamp(now);
    state.emit({
      t: "THREAD_UPDATE",
      d: channel,
      guildId: channel.guild_id,
      intent: Intents.GUILDS,
    });
  }
  if (isThread(channel.type)) {
    channel.message_count = (channel.message_count ?? 0) + 1;
    channel.total_message_sent = (channel.total_message_sent ?? 0) + 1;
  }
  const record: MessageRecord = { message, reactions: new Map() };
  channelRecord.messages.set(message.id, record);
  forgetOldest(channelRecord, state.maxMessagesPerChannel);
  (channelRecord.lastPostAt ??= new Map()).set(author.id, now);
  channel.last_message_id = message.id;
  // Ephemeral messages exist only for the invoking user; bots get no event for them.
  if (!(message.flags & MessageFlags.EPHEMERAL)) {
    emitMessage(state, "MESSAGE_CREATE", record);
  }
  return record;
}

/** Dispatches MESSAGE_CREATE/UPDATE with the right intent and content gating. */
export function emitMessage(state: EmulatorState, t: string, record: MessageRecord): void {
  const channel = state.channels.get(record.message.channel_id)?.channel;
  const guildId = channel?.guild_id;
  const message = record.message;
  const botId = state.botUser.id;
  // MESSAGE_CONTENT is not needed for the bot's own messages, DMs, or mentions of the bot.
  const exempt = !guildId || message.author.id === botId ||
    message.mentions.some((u) => u.id === botId);
  state.emit({
    t,
    d: state.messageToGateway(record),
    guildId,
    intent: guildId ? Intents.GUILD_MESSAGES : Intents.DIRECT_MESSAGES,
    contentGated: !exempt,
  });
}

/** Applies an edit (content, embeds, components, flags, attachments) and dispatches MESSAGE_UPDATE. */
export function editMessage(
  state: EmulatorState,
  record: MessageRecord,
  body: Record<string, unknown>,
  files: UploadedFile[] = [],
  options: { markEdited?: boolean } = {},
): MessageRecord {
  const message = record.message;
  // An edit may switch a message to Components V2 (never back): check it as it will be.
  const v2 = typeof body.flags === "number" ? body.flags & MessageFlags.IS_COMPONENTS_V2 : 0;
  validateMessageBody(body, files, message.flags | v2);
  if (body.content !== undefined) {
    message.content = typeof body.content === "string" ? body.content : "";
    const channel = state.channels.get(message.channel_id)?.channel;
    const mentions = parseMentions(
      state,
      channel?.guild_id,
      message.channel_id,
      message.author.id,
      message.content,
      body.allowed_mentions,
    );
    message.mentions = mentions.users;
    message.mention_roles = mentions.roles;
    message.mention_everyone = mentions.everyone;
  }
  const embedsChanged = body.embeds !== undefined;
  if (body.components !== undefined) {
    message.components = Array.isArray(body.components) ? storedComponents(body.components) : [];
  }
  if (typeof body.flags === "number") {
    // Only SUPPRESS_EMBEDS may be toggled on edit, IS_COMPONENTS_V2 only set; others are kept.
    message.flags = (message.flags & ~MessageFlags.SUPPRESS_EMBEDS) |
      (body.flags & MessageFlags.SUPPRESS_EMBEDS) | v2;
  }
  if (Array.isArray(body.attachments)) {
    const keep = new Set(
      body.attachments.filter(isRecord).map((a) => String(a.id)),
    );
    message.attachments = message.attachments.filter((a) => keep.has(a.id));
  }
  message.attachments.push(
    ...uploadAttachments(state, message.channel_id, files, body.attachments),
  );
  if (embedsChanged) message.embeds = embedsOf(body.embeds, message.attachments);
  // A deferred placeholder stops "thinking" once edited.
  message.flags &= ~MessageFlags.LOADING;
  // A deferred reply's first followup fills the placeholder without showing "(edited)".
  if (options.markEdited !== false) message.edited_timestamp = isoTimestamp();
  if (!(message.flags & MessageFlags.EPHEMERAL)) emitMessage(state, "MESSAGE_UPDATE", record);
  return record;
}

/** Deletes a message and dispatches MESSAGE_DELETE. */
export function deleteMessage(state: EmulatorState, channelId: string, messageId: string): void {
  const channelRecord = state.channel(channelId);
  const record = channelRecord.messages.get(messageId);
  if (!record) throw new DiscordError(404, ErrorCodes.UnknownMessage);
  channelRecord.messages.delete(messageId);
  channelRecord.pins = channelRecord.pins.filter((id) => id !== messageId);
  const guildId = channelRecord.channel.guild_id;
  if (record.message.flags & MessageFlags.EPHEMERAL) return;
  const d: Record<string, string> = { id: messageId, channel_id: channelId };
  if (guildId) d.guild_id = guildId;
  state.emit({
    t: "MESSAGE_DELETE",
    d,
    guildId,
    intent: guildId ? Intents.GUILD_MESSAGES : Intents.DIRECT_MESSAGES,
  });
}

/** Drops a channel's oldest messages past `max` (a Map keeps insertion order); pins stay. */
function forgetOldest(channel: ChannelRecord, max: number): void {
  let excess = channel.messages.size - max;
  if (excess <= 0) return;
  for (const id of channel.messages.keys()) {
    if (excess === 0) break;
    if (channel.pins.includes(id)) continue;
    channel.messages.delete(id);
    excess--;
  }
}
