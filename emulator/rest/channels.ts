/**
 * Guild channel endpoints: create, edit (a thread's settings too) and
 * delete. Messages, reactions and pins, permission overwrites and threads
 * have modules of their own.
 *
 * @module
 */

import type { Hono } from "hono";
import { objectBody } from "../body.ts";
import {
  DiscordError,
  ErrorCodes,
  invalidField,
  missingPermissions,
  wrongChannelType,
} from "../errors.ts";
import { requireChannelPermissions } from "../message_access.ts";
import { Permissions } from "../permissions.ts";
import type { EmulatorState } from "../state.ts";
import { ChannelTypes, Intents, isoTimestamp, isThread } from "../state_records.ts";
import type { ApiChannel } from "../types.ts";
import { ok, type RestContext, route } from "./router.ts";
import { parseOverwrites, requireOverwritesGrantable } from "./permission_overwrites.ts";

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
      throw new DiscordError(403, ErrorCodes.MissingAccess);
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
    if (!channel.guild_id) throw wrongChannelType();
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
    if (!channel.guild_id) throw wrongChannelType();
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
}
