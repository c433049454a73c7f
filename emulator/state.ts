/**
 * The emulator's in-memory world: users, guilds, roles, members, channels,
 * messages, commands and interactions, plus the serializers that turn them
 * into Discord's payload shapes. Mutations that Discord would announce on the
 * gateway call `emit`, which the gateway server subscribes to.
 *
 * @module
 */

import { cloneJson } from "./clone.ts";
import { newApplication, newBotUser, PRIVILEGED_INTENT_FLAGS } from "./bot_identity.ts";
import { BOT_ROLE_PERMISSIONS, DEFAULT_EVERYONE_STR, newGuild } from "./guild_template.ts";
import {
  type ChannelRecord,
  ChannelTypes,
  type DispatchEvent,
  type GuildRecord,
  INTERACTION_RESPONSE_WINDOW_MS,
  INTERACTION_TOKEN_TTL_MS,
  type InteractionRecord,
  isoTimestamp,
  isThread,
  MAX_MESSAGES_PER_CHANNEL,
  type MemberRecord,
  type MessageRecord,
} from "./state_records.ts";
import { SnowflakeGenerator } from "./snowflake.ts";
import { DiscordError, ErrorCodes, notFound } from "./errors.ts";
import {
  basePermissions,
  channelPermissions,
  Permissions,
  type PermissionSubject,
} from "./permissions.ts";
import type {
  ApiApplication,
  ApiApplicationCommand,
  ApiAuditLogEntry,
  ApiChannel,
  ApiGatewayGuild,
  ApiGuild,
  ApiGuildMember,
  ApiMessage,
  ApiRole,
  ApiUser,
  ApiWebhook,
} from "./types.ts";

export interface EmulatorStateOptions {
  botUserId?: string;
  applicationName?: string;
  /** Application flags: privileged-intent grants live here (see READY). */
  applicationFlags?: number;
  /** Initial-response window for interactions, ms (Discord: 3000). */
  interactionResponseWindowMs?: number;
  /** Messages kept per channel; older ones are forgotten (pinned ones are kept). @default 1_000 */
  maxMessagesPerChannel?: number;
}

/** The whole emulated world. Handlers read and mutate it synchronously. */
export class EmulatorState {
  readonly ids = new SnowflakeGenerator();
  readonly users = new Map<string, ApiUser>();
  readonly guilds = new Map<string, GuildRecord>();
  readonly channels = new Map<string, ChannelRecord>();
  /** Application commands keyed by guild id, or "global". */
  readonly commands = new Map<string, ApiApplicationCommand[]>();
  readonly interactions = new Map<string, InteractionRecord>();
  readonly interactionsByToken = new Map<string, string>();
  /** Channel (incoming) webhooks by id, tokens included. */
  readonly webhooks = new Map<string, ApiWebhook & { token: string }>();
  /** DM channel per user id. */
  readonly dmChannels = new Map<string, string>();
  /** Audit log entries per guild id, oldest first (see audit_log.ts). */
  readonly auditLog = new Map<string, ApiAuditLogEntry[]>();
  readonly application: ApiApplication;
  readonly botUser: ApiUser;
  /** Initial-response window for interactions, ms. */
  readonly interactionResponseWindowMs: number;
  readonly maxMessagesPerChannel: number;
  #listeners = new Set<(event: DispatchEvent) => void>();

  constructor(options: EmulatorStateOptions = {}) {
    this.interactionResponseWindowMs = options.interactionResponseWindowMs ??
      INTERACTION_RESPONSE_WINDOW_MS;
    this.maxMessagesPerChannel = options.maxMessagesPerChannel ?? MAX_MESSAGES_PER_CHANNEL;
    if (!Number.isInteger(this.maxMessagesPerChannel) || this.maxMessagesPerChannel < 1) {
      throw new RangeError(
        `maxMessagesPerChannel must be a whole number ≥ 1 (got ${options.maxMessagesPerChannel})`,
      );
    }
    const botId = options.botUserId ?? this.ids.next();
    this.botUser = newBotUser(botId);
    this.users.set(botId, this.botUser);
    this.application = newApplication(
      this.botUser,
      options.applicationName ?? "Flora",
      options.applicationFlags ?? PRIVILEGED_INTENT_FLAGS,
    );
  }

  /** Subscribes to dispatches; returns the unsubscribe function. */
  subscribe(listener: (event: DispatchEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Announces a change to every gateway session that should see it. */
  emit(event: DispatchEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  // ---- lookups (throw Discord's 404s) ----

  user(id: string): ApiUser {
    const user = this.users.get(id);
    if (!user) throw notFound(ErrorCodes.UnknownUser);
    return user;
  }

  guild(id: string): GuildRecord {
    const guild = this.guilds.get(id);
    if (!guild) throw notFound(ErrorCodes.UnknownGuild);
    return guild;
  }

  channel(id: string): ChannelRecord {
    const channel = this.channels.get(id);
    if (!channel) throw notFound(ErrorCodes.UnknownChannel);
    return channel;
  }

  message(channelId: string, messageId: string): MessageRecord {
    const message = this.channel(channelId).messages.get(messageId);
    if (!message) throw notFound(ErrorCodes.UnknownMessage);
    return message;
  }

  member(guildId: string, userId: string): MemberRecord {
    const member = this.guild(guildId).members.get(userId);
    if (!member) throw notFound(ErrorCodes.UnknownMember);
    return member;
  }

  role(guildId: string, roleId: string): ApiRole {
    const role = this.guild(guildId).roles.get(roleId);
    if (!role) throw notFound(ErrorCodes.UnknownRole);
    return role;
  }

  // ---- permissions ----

  #subject(guildId: string, userId: string): PermissionSubject {
    const guild = this.guild(guildId);
    const member = guild.members.get(userId);
    if (!member) throw new DiscordError(403, ErrorCodes.MissingAccess);
    const until = member.communicationDisabledUntil;
    return {
      guildId,
      ownerId: guild.guild.owner_id,
      userId,
      roles: [...guild.roles.values()],
      memberRoleIds: member.roles,
      timedOut: until !== null && Date.parse(until) > Date.now(),
    };
  }

  /** A member's permissions in the guild, or in a channel (threads use their parent's). */
  permissions(guildId: string, userId: string, channelId?: string): bigint {
    const subject = this.#subject(guildId, userId);
    if (!channelId) return basePermissions(subject);
    const record = this.channel(channelId);
    const parent = record.channel.parent_id && isThread(record.channel.type)
      ? this.channel(record.channel.parent_id).channel
      : record.channel;
    const perms = channelPermissions(subject, parent.permission_overwrites ?? []);
    // A private thread is visible only to its members and to those with MANAGE_THREADS.
    if (
      record.channel.type === ChannelTypes.PRIVATE_THREAD && !record.threadMembers.has(userId) &&
      !(perms & Permissions.MANAGE_THREADS)
    ) {
      return 0n;
    }
    return perms;
  }

  // ---- serializers ----

  memberToApi(member: MemberRecord): ApiGuildMember {
    return {
      user: this.user(member.userId),
      nick: member.nick,
      avatar: null,
      banner: null,
      roles: [...member.roles],
      joined_at: member.joinedAt,
      premium_since: null,
      deaf: member.deaf,
      mute: member.mute,
      flags: member.flags,
      pending: member.pending,
      communication_disabled_until: member.communicationDisabledUntil,
    };
  }

  guildToApi(guildId: string): ApiGuild {
    const record = this.guild(guildId);
    return {
      ...record.guild,
      roles: [...record.roles.values()].sort((a, b) => a.position - b.position),
    };
  }

  /** The full GUILD_CREATE payload, in Discord's documented shape. */
  guildCreatePayload(guildId: string): ApiGatewayGuild {
    const record = this.guild(guildId);
    const channels: ApiChannel[] = [];
    const threads: ApiChannel[] = [];
    for (const id of record.channelIds) {
      const channel = this.channels.get(id)?.channel;
      if (!channel) continue;
      if (isThread(channel.type)) {
        if (!channel.thread_metadata?.archived) threads.push(cloneJson(channel));
      } else {
        channels.push(cloneJson(channel));
      }
    }
    return {
      ...this.guildToApi(guildId),
      joined_at: record.joinedAt,
      large: record.members.size > 250,
      unavailable: false,
      member_count: record.members.size,
      voice_states: [],
      members: [...record.members.values()].map((m) => this.memberToApi(m)),
      channels,
      threads,
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  messageToApi(record: MessageRecord, viewerId: string = this.botUser.id): ApiMessage {
    const message: ApiMessage = cloneJson(record.message);
    if (record.reactions.size > 0) {
      message.reactions = [...record.reactions.values()].map((r) => ({
        count: r.users.length,
        count_details: { burst: 0, normal: r.users.length },
        me: r.users.includes(viewerId),
        me_burst: false,
        emoji: r.emoji,
        burst_colors: [],
      }));
    }
    return message;
  }

  /** A message as the gateway sends it: with `guild_id` and the author's `member`. */
  messageToGateway(record: MessageRecord): ApiMessage {
    const message = this.messageToApi(record);
    const channel = this.channels.get(message.channel_id)?.channel;
    if (channel?.guild_id) {
      message.guild_id = channel.guild_id;
      const member = this.guilds.get(channel.guild_id)?.members.get(message.author.id);
      if (member && !message.webhook_id) {
        const { user: _user, ...partial } = this.memberToApi(member);
        message.member = partial;
      }
      const guild = this.guilds.get(channel.guild_id);
      message.mentions = message.mentions.map((user) => {
        const mentioned = guild?.members.get(user.id);
        if (!mentioned) return user;
        const { user: _u, ...partial } = this.memberToApi(mentioned);
        return { ...user, member: partial };
      });
    }
    return message;
  }

  // ---- world building ----

  createUser(input: { username: string; globalName?: string | null; bot?: boolean }): ApiUser {
    const user: ApiUser = {
      id: this.ids.next(),
      username: input.username,
      discriminator: "0",
      global_name: input.globalName ?? null,
      avatar: null,
      public_flags: 0,
      flags: 0,
      primary_guild: null,
    };
    if (input.bot) user.bot = true;
    this.users.set(user.id, user);
    return user;
  }

  createRole(guildId: string, input: Partial<ApiRole> & { name: string }): ApiRole {
    const guild = this.guild(guildId);
    const role: ApiRole = {
      id: input.id ?? this.ids.next(),
      name: input.name,
      color: input.color ?? 0,
      colors: input.colors ??
        { primary_color: input.color ?? 0, secondary_color: null, tertiary_color: null },
      hoist: input.hoist ?? false,
      icon: null,
      unicode_emoji: null,
      position: input.position ?? guild.roles.size,
      permissions: input.permissions ?? "0",
      managed: input.managed ?? false,
      mentionable: input.mentionable ?? false,
      flags: 0,
    };
    if (input.tags) role.tags = input.tags;
    guild.roles.set(role.id, role);
    return role;
  }

  createChannel(guildId: string, input: Partial<ApiChannel> & { name: string }): ApiChannel {
    const guild = this.guild(guildId);
    const type = input.type ?? ChannelTypes.GUILD_TEXT;
    const channel: ApiChannel = {
      id: input.id ?? this.ids.next(),
      type,
      guild_id: guildId,
      name: input.name,
      flags: input.flags ?? 0,
      parent_id: input.parent_id ?? null,
    };
    if (!isThread(type)) {
      channel.position = input.position ?? guild.channelIds.length;
      channel.permission_overwrites = input.permission_overwrites ?? [];
      channel.nsfw = input.nsfw ?? false;
    }
    if (type === ChannelTypes.GUILD_TEXT || isThread(type)) {
      channel.last_message_id = null;
      channel.rate_limit_per_user = input.rate_limit_per_user ?? 0;
    }
    if (type === ChannelTypes.GUILD_TEXT) channel.topic = input.topic ?? null;
    if (isThread(type)) {
      channel.owner_id = input.owner_id;
      channel.thread_metadata = input.thread_metadata;
      channel.message_count = 0;
      channel.member_count = 0;
      channel.total_message_sent = 0;
    }
    guild.channelIds.push(channel.id);
    this.channels.set(channel.id, {
      channel,
      messages: new Map(),
      pins: [],
      threadMembers: new Set(),
    });
    return channel;
  }

  addMember(guildId: string, userId: string, roles: string[] = []): MemberRecord {
    const guild = this.guild(guildId);
    this.user(userId);
    const member: MemberRecord = {
      userId,
      nick: null,
      roles,
      joinedAt: isoTimestamp(),
      communicationDisabledUntil: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
    };
    guild.members.set(userId, member);
    return member;
  }

  /**
   * A guild laid out like flora's test guilds: @everyone, Admin, Member and the
   * bot's managed role; `general` + `bot-commands` (or the given channels);
   * the owner (an admin), a plain member, and the bot.
   */
  createGuild(input: {
    name: string;
    channels?: string[];
    ownerId: string;
    memberIds?: string[];
  }): GuildRecord {
    const id = this.ids.next();
    const joinedAt = isoTimestamp();
    const record: GuildRecord = {
      guild: newGuild(id, input.name, input.ownerId),
      roles: new Map(),
      members: new Map(),
      channelIds: [],
      bans: new Map(),
      joinedAt,
    };
    this.guilds.set(id, record);
    this.createRole(id, { id, name: "@everyone", position: 0, permissions: DEFAULT_EVERYONE_STR });
    const member = this.createRole(id, { name: "Member", position: 1, color: 0x3498db });
    const bot = this.createRole(id, {
      name: this.application.name,
      position: 2,
      managed: true,
      permissions: BOT_ROLE_PERMISSIONS.toString(),
      tags: { bot_id: this.botUser.id },
    });
    const admin = this.createRole(id, {
      name: "Admin",
      position: 3,
      color: 0xe74c3c,
      hoist: true,
      permissions: Permissions.ADMINISTRATOR.toString(),
    });
    for (const name of input.channels ?? ["general", "bot-commands"]) {
      this.createChannel(id, { name });
    }
    record.guild.system_channel_id = record.channelIds[0] ?? null;
    this.addMember(id, input.ownerId, [admin.id]);
    for (const userId of input.memberIds ?? []) {
      if (userId !== input.ownerId) this.addMember(id, userId, [member.id]);
    }
    this.addMember(id, this.botUser.id, [bot.id]).joinedAt = joinedAt;
    return record;
  }

  /** The DM channel between the bot and a user, created on first use. */
  dmChannel(userId: string): ChannelRecord {
    const recipient = this.user(userId);
    const existing = this.dmChannels.get(recipient.id);
    if (existing) return this.channel(existing);
    const id = this.ids.next();
    const record: ChannelRecord = {
      channel: {
        id,
        type: ChannelTypes.DM,
        last_message_id: null,
        recipients: [recipient],
        flags: 0,
      },
      messages: new Map(),
      pins: [],
      threadMembers: new Set(),
    };
    this.dmChannels.set(recipient.id, id);
    this.channels.set(id, record);
    return record;
  }

  /** Finds a role by name (for seeded worlds and tests). */
  roleByName(guildId: string, name: string): ApiRole | undefined {
    return [...this.guild(guildId).roles.values()].find((r) => r.name === name);
  }

  /** An interaction by id, or 404 10062 once it can no longer be answered. */
  interaction(id: string, token: string): InteractionRecord {
    const record = this.interactions.get(id);
    if (!record || record.interaction.token !== token) {
      throw notFound(ErrorCodes.UnknownInteraction);
    }
    return record;
  }

  /** An interaction by webhook token; 404 Unknown Webhook once the token expired. */
  interactionByToken(applicationId: string, token: string): InteractionRecord {
    const id = this.interactionsByToken.get(token);
    const record = id ? this.interactions.get(id) : undefined;
    if (
      !record || applicationId !== this.application.id ||
      Date.now() - record.createdAt > INTERACTION_TOKEN_TTL_MS
    ) {
      throw notFound(ErrorCodes.UnknownWebhook);
    }
    return record;
  }
}
