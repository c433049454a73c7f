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
import { cloneJson } from "./clone.ts";
import { IS_COMPONENTS_V2, validateComponents } from "./components.ts";
import { DiscordError, ErrorCodes, invalidField, missingPermissions } from "./errors.ts";
import { Permissions } from "./permissions.ts";
import {
  type ChannelRecord,
  type EmulatorState,
  Intents,
  isoTimestamp,
  isThread,
  type MessageRecord,
} from "./state.ts";
import type {
  ApiAttachment,
  ApiEmbed,
  ApiInteractionMetadata,
  ApiMessage,
  ApiMessageSnapshot,
  ApiUser,
} from "./types.ts";

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

/** Largest upload per file in a guild without boosts, bytes (Discord: 10 MiB). */
export const ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024;
/** Most characters all of a message's embeds may hold together. */
const EMBED_TOTAL_LIMIT = 6000;

/**
 * Validates a message body's fields Discord checks before anything else;
 * `flags` are the message's flags after the change (for component rules).
 */
export function validateMessageBody(
  body: Record<string, unknown>,
  files: UploadedFile[],
  flags: number = typeof body.flags === "number" ? body.flags : 0,
): void {
  const content = body.content;
  if (content !== undefined && content !== null) {
    if (typeof content !== "string") {
      throw invalidField(["content"], "BASE_TYPE_STRING", "Must be a valid string.");
    }
    if (content.length > 2000) {
      throw invalidField(["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.");
    }
  }
  const embeds = body.embeds;
  if (embeds !== undefined && embeds !== null) {
    if (!Array.isArray(embeds)) {
      throw invalidField(["embeds"], "LIST_TYPE_CONVERT", "Must be an array.");
    }
    if (embeds.length > 10) {
      throw invalidField(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.");
    }
    const total = embeds.reduce((sum: number, embed) => sum + embedLength(embed), 0);
    if (total > EMBED_TOTAL_LIMIT) {
      throw invalidField(
        ["embeds"],
        "MAX_EMBED_SIZE_EXCEEDED",
        `Embed size exceeds maximum size of ${EMBED_TOTAL_LIMIT}`,
      );
    }
    embeds.forEach((embed, i) => {
      if (!isRecord(embed)) {
        throw invalidField(["embeds", i], "DICT_TYPE_CONVERT", "Only dictionaries may be used.");
      }
      if (typeof embed.title === "string" && embed.title.length > 256) {
        throw invalidField(
          ["embeds", i, "title"],
          "BASE_TYPE_MAX_LENGTH",
          "Must be 256 or fewer in length.",
        );
      }
      if (typeof embed.description === "string" && embed.description.length > 4096) {
        throw invalidField(
          ["embeds", i, "description"],
          "BASE_TYPE_MAX_LENGTH",
          "Must be 4096 or fewer in length.",
        );
      }
    });
  }
  if (
    body.components !== undefined && body.components !== null && !Array.isArray(body.components)
  ) {
    throw invalidField(["components"], "LIST_TYPE_CONVERT", "Must be an array.");
  }
  if (body.flags !== undefined && body.flags !== null && !Number.isInteger(body.flags)) {
    throw invalidField(["flags"], "NUMBER_TYPE_COERCE", "Value is not int.");
  }
  const allowed = body.allowed_mentions;
  if (isRecord(allowed) && Array.isArray(allowed.parse)) {
    for (const kind of ["users", "roles"] as const) {
      if (allowed.parse.includes(kind) && Array.isArray(allowed[kind]) && allowed[kind].length) {
        throw invalidField(
          ["allowed_mentions"],
          "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
          `parse:["${kind}"] and ${kind}: [ids...] are mutually exclusive.`,
        );
      }
    }
  }
  validateComponents(body.components, flags, body);
  const tooBig = files.find((file) => file.size > ATTACHMENT_SIZE_LIMIT);
  if (tooBig) {
    throw new DiscordError(413, { code: 40005, message: "Request entity too large" });
  }
}

/** The characters an embed counts toward the 6,000 limit (Discord's list of fields). */
function embedLength(embed: unknown): number {
  if (!isRecord(embed)) return 0;
  const text = (value: unknown) => typeof value === "string" ? value.length : 0;
  let length = text(embed.title) + text(embed.description);
  if (isRecord(embed.footer)) length += text(embed.footer.text);
  if (isRecord(embed.author)) length += text(embed.author.name);
  if (Array.isArray(embed.fields)) {
    for (const field of embed.fields) {
      if (isRecord(field)) length += text(field.name) + text(field.value);
    }
  }
  return length;
}

/** Uploads need ATTACH_FILES and embeds EMBED_LINKS in guild channels (50013). */
export function requireContentPermissions(
  state: EmulatorState,
  channelId: string,
  userId: string,
  body: Record<string, unknown>,
  files: UploadedFile[],
): void {
  if (files.length > 0) {
    requireChannelPermissions(state, channelId, userId, Permissions.ATTACH_FILES);
  }
  if (Array.isArray(body.embeds) && body.embeds.length > 0) {
    requireChannelPermissions(state, channelId, userId, Permissions.EMBED_LINKS);
  }
}

/** Slowmode: members without MANAGE_MESSAGES/MANAGE_CHANNELS wait rate_limit_per_user seconds. */
function checkSlowmode(state: EmulatorState, channelId: string, authorId: string): void {
  const record = state.channel(channelId);
  const seconds = record.channel.rate_limit_per_user ?? 0;
  const guildId = record.channel.guild_id;
  if (seconds <= 0 || !guildId) return;
  const perms = state.permissions(guildId, authorId, channelId);
  if (perms & (Permissions.MANAGE_MESSAGES | Permissions.MANAGE_CHANNELS)) return;
  const last = record.lastPostAt?.get(authorId);
  const wait = last === undefined ? 0 : last + seconds * 1000 - Date.now();
  if (wait > 0) {
    const error = new DiscordError(429, {
      code: 20016,
      message: "This action cannot be performed due to slowmode rate limit.",
    });
    error.body.retry_after = Number((wait / 1000).toFixed(3));
    error.body.global = false;
    error.headers = { "retry-after": String(Math.ceil(wait / 1000)) };
    throw error;
  }
}

function hasPayload(body: Record<string, unknown>, files: UploadedFile[]): boolean {
  return (typeof body.content === "string" && body.content.length > 0) ||
    (Array.isArray(body.embeds) && body.embeds.length > 0) ||
    (Array.isArray(body.components) && body.components.length > 0) ||
    (Array.isArray(body.sticker_ids) && body.sticker_ids.length > 0) ||
    isRecord(body.poll) || files.length > 0;
}

/** Checks `needed` permissions of `userId` in a guild channel: 50001 without VIEW_CHANNEL, else 50013. */
export function requireChannelPermissions(
  state: EmulatorState,
  channelId: string,
  userId: string,
  needed: bigint,
): void {
  const channel = state.channel(channelId).channel;
  if (!channel.guild_id) return;
  const perms = state.permissions(channel.guild_id, userId, channelId);
  if (!(perms & Permissions.VIEW_CHANNEL)) throw new DiscordError(403, ErrorCodes.MissingAccess);
  if ((perms & needed) !== needed) throw missingPermissions();
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

interface ParsedMentions {
  users: ApiUser[];
  roles: string[];
  everyone: boolean;
}

function allowsRepliedUser(allowed: unknown): boolean {
  if (!isRecord(allowed)) return true;
  return allowed.replied_user === true;
}

/** Resolves <@id>, <@&id> and @everyone against allowed_mentions, as Discord does. */
function parseMentions(
  state: EmulatorState,
  guildId: string | undefined,
  channelId: string,
  authorId: string,
  content: string,
  allowed: unknown,
): ParsedMentions {
  const parse = isRecord(allowed)
    ? (Array.isArray(allowed.parse) ? allowed.parse : [])
    : ["users", "roles", "everyone"];
  const explicitUsers = isRecord(allowed) && Array.isArray(allowed.users)
    ? allowed.users.map(String)
    : [];
  const explicitRoles = isRecord(allowed) && Array.isArray(allowed.roles)
    ? allowed.roles.map(String)
    : [];
  const users: ApiUser[] = [];
  for (const match of content.matchAll(/<@!?(\d{1,20})>/g)) {
    const id = match[1];
    const user = state.users.get(id);
    if (!user || users.some((u) => u.id === id)) continue;
    if (parse.includes("users") || explicitUsers.includes(id)) users.push(user);
  }
  const roles: string[] = [];
  for (const match of content.matchAll(/<@&(\d{1,20})>/g)) {
    const id = match[1];
    if (!guildId || !state.guilds.get(guildId)?.roles.has(id) || roles.includes(id)) continue;
    if (parse.includes("roles") || explicitRoles.includes(id)) roles.push(id);
  }
  let everyone = false;
  if (/@(everyone|here)/.test(content) && parse.includes("everyone") && guildId) {
    // MENTION_EVERYONE is a channel permission: overwrites can grant or deny it.
    const perms = state.guilds.get(guildId)?.members.has(authorId)
      ? state.permissions(guildId, authorId, channelId)
      : 0n;
    everyone = (perms & Permissions.MENTION_EVERYONE) !== 0n;
  }
  return { users, roles, everyone };
}

/**
 * Stores uploaded files as attachments. `files[n]` pairs with the
 * `attachments` entry whose `id` is n (a number or a numeric string, as
 * Discord's own examples send), which may rename it and describe it.
 */
function uploadAttachments(
  state: EmulatorState,
  channelId: string,
  files: UploadedFile[],
  metadata: unknown,
): ApiAttachment[] {
  const described = Array.isArray(metadata) ? metadata.filter(isRecord) : [];
  return files.map((file, i) => {
    const index = /^files\[(\d+)\]$/.exec(file.field)?.[1] ?? String(i);
    const meta = described.find((a) => String(a.id) === index);
    const filename = typeof meta?.filename === "string" ? meta.filename : file.filename;
    const id = state.ids.next();
    const url = `https://cdn.discordapp.com/attachments/${channelId}/${id}/${filename}`;
    const attachment: ApiAttachment = {
      id,
      filename,
      size: file.size,
      url,
      proxy_url: url.replace("cdn.discordapp.com", "media.discordapp.net"),
      content_type: file.contentType,
    };
    if (typeof meta?.description === "string") attachment.description = meta.description;
    return attachment;
  });
}

/** Embed fields that may point at an upload with `attachment://filename`. */
const ATTACHMENT_URL_FIELDS = [
  ["image", "url"],
  ["thumbnail", "url"],
  ["author", "icon_url"],
  ["footer", "icon_url"],
] as const;

/**
 * A body's embeds as stored: typed `rich`, fields' `inline` made explicit,
 * and `attachment://` URLs rewritten to the uploaded attachment's CDN URL.
 */
function embedsOf(embeds: unknown, attachments: ApiAttachment[]): ApiEmbed[] {
  if (!Array.isArray(embeds)) return [];
  return embeds.filter(isRecord).map((input) => {
    const embed = { type: "rich", ...cloneJson(input) } as ApiEmbed;
    if (Array.isArray(embed.fields)) {
      embed.fields = embed.fields.map((f) => ({ ...f, inline: f.inline === true }));
    }
    for (const [key, field] of ATTACHMENT_URL_FIELDS) {
      const part = embed[key];
      if (!isRecord(part) || typeof part[field] !== "string") continue;
      const name = /^attachment:\/\/(.+)$/.exec(part[field])?.[1];
      const attachment = name ? attachments.find((a) => a.filename === name) : undefined;
      if (!attachment) continue;
      part[field] = attachment.url;
      part[field === "url" ? "proxy_url" : "proxy_icon_url"] = attachment.proxy_url;
    }
    return embed;
  });
}

/** What a forward keeps of the original message (Discord's message snapshot). */
function snapshotOf(message: ApiMessage): ApiMessageSnapshot["message"] {
  return cloneJson({
    type: message.type,
    content: message.content,
    embeds: message.embeds,
    attachments: message.attachments,
    timestamp: message.timestamp,
    edited_timestamp: message.edited_timestamp,
    flags: message.flags,
    mentions: message.mentions,
    mention_roles: message.mention_roles,
    components: message.components,
  });
}

/** Select menus (string, user, role, mentionable, channel): Discord fills in their value counts. */
const SELECTS = new Set([3, 5, 6, 7, 8]);

/**
 * `components` as Discord stores them: every component gets a numeric `id`
 * (those the bot set are kept, the rest numbered in tree order from 1,
 * skipping taken ids), and select menus get `min_values`/`max_values`
 * (default 1).
 */
export function storedComponents(components: unknown[]): unknown[] {
  const copy = cloneJson(components);
  const all: Record<string, unknown>[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isRecord(node)) return;
    if (typeof node.type === "number") all.push(node);
    for (const key of ["components", "accessory", "items"]) walk(node[key]);
  };
  walk(copy);
  const taken = new Set(all.map((c) => c.id).filter((id) => typeof id === "number"));
  let next = 1;
  for (const component of all) {
    if (SELECTS.has(component.type as number)) {
      component.min_values ??= 1;
      component.max_values ??= 1;
    }
    if (typeof component.id === "number") continue;
    while (taken.has(next)) next++;
    component.id = next;
    taken.add(next);
  }
  return copy;
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
