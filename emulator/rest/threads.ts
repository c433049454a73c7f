/**
 * Thread endpoints: start a thread from a message or standalone, list the
 * active ones, join and leave, and add, remove and list members.
 *
 * @module
 */

import type { Hono } from "hono";
import { objectBody } from "../body.ts";
import { DiscordError, ErrorCodes, invalidField, wrongChannelType } from "../errors.ts";
import { requireChannelPermissions } from "../message_access.ts";
import { Permissions } from "../permissions.ts";
import { ChannelTypes, Intents, isoTimestamp, isThread } from "../state_records.ts";
import type { ApiChannel } from "../types.ts";
import { noContent, ok, type RestContext, route } from "./router.ts";

const ARCHIVE_DURATIONS = [60, 1440, 4320, 10080];

function threadMember(threadId: string, userId: string) {
  return { id: threadId, user_id: userId, join_timestamp: isoTimestamp(), flags: 0 };
}

/** The thread routes (a thread is a channel; editing and deleting one is `channels.ts`). */
export function registerThreadRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;
  const botId = () => state.botUser.id;

  const startThread = (
    parentId: string,
    input: Record<string, unknown>,
    type: number,
    id?: string,
  ): ApiChannel => {
    const parent = state.channel(parentId).channel;
    if (!parent.guild_id || parent.type !== ChannelTypes.GUILD_TEXT) throw wrongChannelType();
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
    if (!isThread(record.channel.type)) throw wrongChannelType();
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
      throw new DiscordError(403, ErrorCodes.MissingAccess);
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
