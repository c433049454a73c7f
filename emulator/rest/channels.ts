/**
 * Channel endpoints beyond messages: permission overwrites (edit/delete)
 * and threads (start from a message or standalone, join, leave, members).
 *
 * @module
 */

import type { Hono } from "hono";
import { isRecord, objectBody } from "../body.ts";
import { isSnowflake } from "../snowflake.ts";
import { DiscordError, invalidField, missingPermissions } from "../errors.ts";
import { requireChannelPermissions } from "../message_access.ts";
import { Permissions } from "../permissions.ts";
import { type EmulatorState } from "../state.ts";
import { ChannelTypes, Intents, isoTimestamp, isThread } from "../state_records.ts";
import type { ApiChannel, ApiOverwrite } from "../types.ts";
import { noContent, ok, type RestContext, route } from "./router.ts";

const ARCHIVE_DURATIONS = [60, 1440, 4320, 10080];

/** Sets (or removes, with `overwrite` null) one overwrite and dispatches CHANNEL_UPDATE. */
export function setOverwrite(
  state: EmulatorState,
  channelId: string,
  id: string,
  overwrite: Omit<ApiOverwrite, "id"> | null,
): ApiChannel {
  const channel = state.channel(channelId).channel;
  if (!channel.guild_id || isThread(channel.type)) {
    throw new DiscordError(400, {
      code: 50024,
      message: "Cannot execute action on this channel type",
    });
  }
  const rest = (channel.permission_overwrites ?? []).filter((o) => o.id !== id);
  channel.permission_overwrites = overwrite ? [...rest, { id, ...overwrite }] : rest;
  state.emit({
    t: "CHANNEL_UPDATE",
    d: channel,
    guildId: channel.guild_id,
    intent: Intents.GUILDS,
  });
  return channel;
}

function threadMember(threadId: string, userId: string) {
  return { id: threadId, user_id: userId, join_timestamp: isoTimestamp(), flags: 0 };
}

/** Text channel names are lowercased with dashes for spaces, as Discord does. */
function channelName(name: unknown, type: number): string {
  if (typeof name !== "string" || name.length < 1 || name.length > 100) {
    throw invalidField(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
  }
  return type === ChannelTypes.GUILD_TEXT ? name.toLowerCase().replace(/\s+/g, "-") : name;
}

function channelEvent(state: EmulatorState, t: string, channel: ApiChannel): void {
  state.emit({ t, d: channel, guildId: channel.guild_id, intent: Intents.GUILDS });
}

/** Discord: overwrites may only allow or deny permissions the bot holds (`held`). */
function requireOverwritesGrantable(
  held: bigint,
  overwrites: Pick<ApiOverwrite, "allow" | "deny">[],
): void {
  for (const o of overwrites) {
    if (((BigInt(o.allow) | BigInt(o.deny)) & ~held) !== 0n) throw missingPermissions();
  }
}

/** `permission_overwrites` from a request body (undefined when absent). */
function parseOverwrites(value: unknown): ApiOverwrite[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    throw invalidField(["permission_overwrites"], "BASE_TYPE_LIST", "Must be a list.");
  }
  return value.map((o: unknown, i) => {
    const entry = isRecord(o) ? o : {};
    const bits = (key: "allow" | "deny") => {
      const raw = String(entry[key] ?? "0");
      if (!/^\d{1,20}$/.test(raw)) {
        throw invalidField(
          ["permission_overwrites", i, key],
          "NUMBER_TYPE_COERCE",
          `Value "${raw}" is not int.`,
        );
      }
      return raw;
    };
    if (!isSnowflake(String(entry.id))) {
      throw invalidField(
        ["permission_overwrites", i, "id"],
        "NUMBER_TYPE_COERCE",
        "Not a snowflake.",
      );
    }
    return {
      id: String(entry.id),
      type: entry.type === 1 ? 1 as const : 0 as const,
      allow: bits("allow"),
      deny: bits("deny"),
    };
  });
}

/**
 * What editing a channel needs: MANAGE_CHANNELS; for a thread MANAGE_THREADS,
 * except that reopening an unlocked thread needs only SEND_MESSAGES and its
 * creator may edit it without locking or unlocking it.
 */
function channelEditPermission(
  channel: ApiChannel,
  input: Record<string, unknown>,
  botId: string,
): bigint {
  if (!isThread(channel.type)) return Permissions.MANAGE_CHANNELS;
  const locking = input.locked !== undefined && input.locked !== channel.thread_metadata?.locked;
  const keys = Object.keys(input);
  if (
    !locking && !channel.thread_metadata?.locked && input.archived === false &&
    keys.every((k) => k === "archived" || k === "locked")
  ) {
    return Permissions.SEND_MESSAGES;
  }
  if (!locking && channel.owner_id === botId) return Permissions.VIEW_CHANNEL;
  return Permissions.MANAGE_THREADS;
}

export function registerChannelRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;
  const botId = () => state.botUser.id;

  route(app, ctx, "POST", "/guilds/:guild_id/channels", ({ params, body }) => {
    const guild = state.guild(params.guild_id);
    if (!guild.members.has(botId())) {
      throw new DiscordError(403, { code: 50001, message: "Missing Access" });
    }
    const input = objectBody(body.json);
    const type = input.type ?? ChannelTypes.GUILD_TEXT;
    if (
      type !== ChannelTypes.GUILD_TEXT && type !== ChannelTypes.GUILD_VOICE &&
      type !== ChannelTypes.GUILD_CATEGORY
    ) {
      throw invalidField(["type"], "BASE_TYPE_CHOICES", "Value must be one of (0, 2, 4).");
    }
    const mine = state.permissions(params.guild_id, botId());
    if (!(mine & Permissions.MANAGE_CHANNELS)) throw missingPermissions();
    const parentId = typeof input.parent_id === "string" ? input.parent_id : null;
    if (parentId && state.channel(parentId).channel.type !== ChannelTypes.GUILD_CATEGORY) {
      throw invalidField(["parent_id"], "CHANNEL_PARENT_INVALID_TYPE", "Not a category.");
    }
    const overwrites = parseOverwrites(input.permission_overwrites) ?? [];
    // On a new channel only administrators may put MANAGE_ROLES in an overwrite.
    const held = mine & Permissions.ADMINISTRATOR ? mine : mine & ~Permissions.MANAGE_ROLES;
    requireOverwritesGrantable(held, overwrites);
    const channel = state.createChannel(params.guild_id, {
      name: channelName(input.name, type),
      type,
      parent_id: parentId,
      topic: typeof input.topic === "string" ? input.topic : null,
      nsfw: input.nsfw === true,
      rate_limit_per_user: typeof input.rate_limit_per_user === "number"
        ? input.rate_limit_per_user
        : 0,
      permission_overwrites: overwrites,
    });
    channelEvent(state, "CHANNEL_CREATE", channel);
    return { status: 201, body: channel };
  });

  route(app, ctx, "PATCH", "/channels/:channel_id", ({ params, body }) => {
    const channel = state.channel(params.channel_id).channel;
    if (!channel.guild_id) {
      throw new DiscordError(400, {
        code: 50024,
        message: "Cannot execute action on this channel type",
      });
    }
    const input = objectBody(body.json);
    const thread = isThread(channel.type);
    requireChannelPermissions(
      state,
      params.channel_id,
      botId(),
      channelEditPermission(channel, input, botId()),
    );
    // Discord: editing overwrites needs MANAGE_ROLES, and only permissions the bot holds there.
    const overwrites = thread ? undefined : parseOverwrites(input.permission_overwrites);
    if (overwrites) {
      requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_ROLES);
      requireOverwritesGrantable(
        state.permissions(channel.guild_id, botId(), params.channel_id),
        overwrites,
      );
    }
    if (input.name !== undefined) channel.name = channelName(input.name, channel.type);
    if (!thread) {
      if (input.topic !== undefined) {
        if (
          input.topic !== null && (typeof input.topic !== "string" || input.topic.length > 1024)
        ) {
          throw invalidField(["topic"], "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.");
        }
        channel.topic = input.topic;
      }
      if (typeof input.nsfw === "boolean") channel.nsfw = input.nsfw;
      if (input.parent_id !== undefined) {
        channel.parent_id = typeof input.parent_id === "string" ? input.parent_id : null;
      }
      if (overwrites) channel.permission_overwrites = overwrites;
    } else if (channel.thread_metadata) {
      if (typeof input.archived === "boolean") {
        channel.thread_metadata.archived = input.archived;
        channel.thread_metadata.archive_timestamp = isoTimestamp();
      }
      if (typeof input.locked === "boolean") channel.thread_metadata.locked = input.locked;
      if (typeof input.auto_archive_duration === "number") {
        channel.thread_metadata.auto_archive_duration = input.auto_archive_duration;
      }
    }
    if (typeof input.rate_limit_per_user === "number") {
      channel.rate_limit_per_user = input.rate_limit_per_user;
    }
    channelEvent(state, thread ? "THREAD_UPDATE" : "CHANNEL_UPDATE", channel);
    return ok(channel);
  });

  route(app, ctx, "DELETE", "/channels/:channel_id", ({ params }) => {
    const channel = state.channel(params.channel_id).channel;
    if (!channel.guild_id) {
      throw new DiscordError(400, {
        code: 50024,
        message: "Cannot execute action on this channel type",
      });
    }
    const thread = isThread(channel.type);
    requireChannelPermissions(
      state,
      params.channel_id,
      botId(),
      thread ? Permissions.MANAGE_THREADS : Permissions.MANAGE_CHANNELS,
    );
    const guild = state.guild(channel.guild_id);
    guild.channelIds = guild.channelIds.filter((id) => id !== channel.id);
    state.channels.delete(channel.id);
    if (thread) {
      state.emit({
        t: "THREAD_DELETE",
        d: {
          id: channel.id,
          guild_id: channel.guild_id,
          parent_id: channel.parent_id,
          type: channel.type,
        },
        guildId: channel.guild_id,
        intent: Intents.GUILDS,
      });
    } else {
      channelEvent(state, "CHANNEL_DELETE", channel);
    }
    return ok(channel);
  });

  route(app, ctx, "PUT", "/channels/:channel_id/permissions/:overwrite_id", ({ params, body }) => {
    const channel = state.channel(params.channel_id).channel;
    const input = objectBody(body.json);
    if (input.type !== 0 && input.type !== 1) {
      throw invalidField(["type"], "BASE_TYPE_CHOICES", "Value must be one of (0, 1).");
    }
    const allow = BigInt(typeof input.allow === "string" ? input.allow : "0");
    const deny = BigInt(typeof input.deny === "string" ? input.deny : "0");
    if (!channel.guild_id) {
      throw new DiscordError(400, {
        code: 50024,
        message: "Cannot execute action on this channel type",
      });
    }
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_ROLES);
    // A bot can only allow or deny permissions it holds itself (unless administrator).
    requireOverwritesGrantable(
      state.permissions(channel.guild_id, botId(), params.channel_id),
      [{ allow: String(allow), deny: String(deny) }],
    );
    setOverwrite(state, params.channel_id, params.overwrite_id, {
      type: input.type,
      allow: allow.toString(),
      deny: deny.toString(),
    });
    return noContent();
  });

  route(app, ctx, "DELETE", "/channels/:channel_id/permissions/:overwrite_id", ({ params }) => {
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_ROLES);
    setOverwrite(state, params.channel_id, params.overwrite_id, null);
    return noContent();
  });

  const startThread = (
    parentId: string,
    input: Record<string, unknown>,
    type: number,
    id?: string,
  ): ApiChannel => {
    const parent = state.channel(parentId).channel;
    if (!parent.guild_id || parent.type !== ChannelTypes.GUILD_TEXT) {
      throw new DiscordError(400, {
        code: 50024,
        message: "Cannot execute action on this channel type",
      });
    }
    const name = input.name;
    if (typeof name !== "string" || name.length < 1 || name.length > 100) {
      throw invalidField(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    }
    const duration = input.auto_archive_duration ?? 4320;
    if (typeof duration !== "number" || !ARCHIVE_DURATIONS.includes(duration)) {
      throw invalidField(
        ["auto_archive_duration"],
        "BASE_TYPE_CHOICES",
        "Value must be one of (60, 1440, 4320, 10080).",
      );
    }
    requireChannelPermissions(
      state,
      parentId,
      botId(),
      type === ChannelTypes.PRIVATE_THREAD
        ? Permissions.CREATE_PRIVATE_THREADS
        : Permissions.CREATE_PUBLIC_THREADS,
    );
    const thread = state.createChannel(parent.guild_id, {
      id,
      name,
      type,
      parent_id: parentId,
      owner_id: botId(),
      rate_limit_per_user: typeof input.rate_limit_per_user === "number"
        ? input.rate_limit_per_user
        : 0,
      thread_metadata: {
        archived: false,
        auto_archive_duration: duration,
        archive_timestamp: isoTimestamp(),
        locked: false,
        create_timestamp: isoTimestamp(),
        ...(type === ChannelTypes.PRIVATE_THREAD ? { invitable: input.invitable !== false } : {}),
      },
    });
    const record = state.channel(thread.id);
    record.threadMembers.add(botId());
    thread.member_count = 1;
    state.emit({
      t: "THREAD_CREATE",
      d: { ...thread, newly_created: true, member: threadMember(thread.id, botId()) },
      guildId: parent.guild_id,
      intent: Intents.GUILDS,
    });
    return thread;
  };

  route(
    app,
    ctx,
    "POST",
    "/channels/:channel_id/messages/:message_id/threads",
    ({ params, body }) => {
      const message = state.message(params.channel_id, params.message_id);
      if (state.channels.has(message.message.id)) {
        throw new DiscordError(400, {
          code: 160004,
          message: "A thread has already been created for this message",
        });
      }
      // A thread started from a message shares the message's id.
      const thread = startThread(
        params.channel_id,
        objectBody(body.json),
        ChannelTypes.PUBLIC_THREAD,
        message.message.id,
      );
      return { status: 201, body: thread };
    },
  );

  route(app, ctx, "POST", "/channels/:channel_id/threads", ({ params, body }) => {
    const input = objectBody(body.json);
    const type = input.type ?? ChannelTypes.PRIVATE_THREAD;
    if (type !== ChannelTypes.PUBLIC_THREAD && type !== ChannelTypes.PRIVATE_THREAD) {
      throw invalidField(["type"], "BASE_TYPE_CHOICES", "Value must be one of (11, 12).");
    }
    return { status: 201, body: startThread(params.channel_id, input, type) };
  });

  const thread = (id: string) => {
    const record = state.channel(id);
    if (!isThread(record.channel.type)) {
      throw new DiscordError(400, {
        code: 50024,
        message: "Cannot execute action on this channel type",
      });
    }
    // Thread members are visible only to whoever can see the thread (50001 otherwise).
    requireChannelPermissions(state, id, botId(), Permissions.VIEW_CHANNEL);
    return record;
  };

  const membersUpdate = (threadId: string, added: string[], removed: string[]) => {
    const record = thread(threadId);
    const guildId = record.channel.guild_id;
    record.channel.member_count = record.threadMembers.size;
    state.emit({
      t: "THREAD_MEMBERS_UPDATE",
      d: {
        id: threadId,
        guild_id: guildId,
        member_count: record.threadMembers.size,
        added_members: added.map((u) => threadMember(threadId, u)),
        removed_member_ids: removed,
      },
      guildId,
      intent: Intents.GUILD_MEMBERS,
    });
  };

  route(app, ctx, "GET", "/guilds/:guild_id/threads/active", ({ params }) => {
    const guild = state.guild(params.guild_id);
    if (!guild.members.has(botId())) {
      throw new DiscordError(403, { code: 50001, message: "Missing Access" });
    }
    const threads = guild.channelIds.map((id) => state.channel(id))
      .filter((r) => isThread(r.channel.type) && !r.channel.thread_metadata?.archived);
    return ok({
      threads: threads.map((r) => r.channel),
      members: threads.filter((r) => r.threadMembers.has(botId()))
        .map((r) => threadMember(r.channel.id, botId())),
      has_more: false,
    });
  });

  route(app, ctx, "PUT", "/channels/:channel_id/thread-members/@me", ({ params }) => {
    const record = thread(params.channel_id);
    if (record.channel.thread_metadata?.archived) {
      throw new DiscordError(400, { code: 50083, message: "Thread is archived" });
    }
    if (!record.threadMembers.has(botId())) {
      record.threadMembers.add(botId());
      membersUpdate(params.channel_id, [botId()], []);
    }
    return noContent();
  });

  route(app, ctx, "DELETE", "/channels/:channel_id/thread-members/@me", ({ params }) => {
    const record = thread(params.channel_id);
    if (record.threadMembers.delete(botId())) membersUpdate(params.channel_id, [], [botId()]);
    return noContent();
  });

  route(app, ctx, "GET", "/channels/:channel_id/thread-members", ({ params }) => {
    const record = thread(params.channel_id);
    return ok([...record.threadMembers].map((u) => threadMember(params.channel_id, u)));
  });

  /** An open (unarchived) thread, for adding and removing its members. */
  const openThread = (id: string) => {
    const record = thread(id);
    if (record.channel.thread_metadata?.archived) {
      throw new DiscordError(400, { code: 50083, message: "Thread is archived" });
    }
    return record;
  };

  // Adding someone needs what posting in the thread needs; they must be in the guild.
  route(app, ctx, "PUT", "/channels/:channel_id/thread-members/:user_id", ({ params }) => {
    const record = openThread(params.channel_id);
    requireChannelPermissions(
      state,
      params.channel_id,
      botId(),
      Permissions.SEND_MESSAGES_IN_THREADS,
    );
    state.member(record.channel.guild_id ?? "", params.user_id);
    if (!record.threadMembers.has(params.user_id)) {
      record.threadMembers.add(params.user_id);
      membersUpdate(params.channel_id, [params.user_id], []);
    }
    return noContent();
  });

  // Removing someone needs MANAGE_THREADS, or being the creator of a private thread.
  route(app, ctx, "DELETE", "/channels/:channel_id/thread-members/:user_id", ({ params }) => {
    const record = openThread(params.channel_id);
    const creator = record.channel.type === ChannelTypes.PRIVATE_THREAD &&
      record.channel.owner_id === botId();
    if (!creator) {
      requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_THREADS);
    }
    if (record.threadMembers.delete(params.user_id)) {
      membersUpdate(params.channel_id, [], [params.user_id]);
    }
    return noContent();
  });

  route(app, ctx, "GET", "/channels/:channel_id/thread-members/:user_id", ({ params }) => {
    const record = thread(params.channel_id);
    if (!record.threadMembers.has(params.user_id)) {
      throw new DiscordError(404, { code: 10007, message: "Unknown Member" });
    }
    return ok(threadMember(params.channel_id, params.user_id));
  });
}
