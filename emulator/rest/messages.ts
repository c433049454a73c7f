/**
 * Channel message endpoints: list, get, create (with replies and files),
 * edit, delete, bulk delete, typing, pins.
 *
 * @module
 */

import type { Hono } from "hono";
import { objectBody } from "../body.ts";
import { DiscordError, ErrorCodes, invalidField } from "../errors.ts";
import { requireChannelPermissions, requireContentPermissions } from "../message_access.ts";
import { deleteMessage, editMessage, emitMessage, postMessage } from "../messaging.ts";
import { Permissions } from "../permissions.ts";
import { isSnowflake, snowflakeTime } from "../snowflake.ts";
import { Intents, isoTimestamp, isThread, type MessageRecord } from "../state_records.ts";
import { limitParam, snowflakeParam } from "./query.ts";
import { noContent, ok, type RestContext, route } from "./router.ts";

const EPHEMERAL = 1 << 6;
const READ_HISTORY = Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY;
const FOURTEEN_DAYS_MS = 14 * 24 * 60 * 60 * 1000;

export function registerMessageRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;
  const bot = () => state.botUser;

  route(app, ctx, "GET", "/channels/:channel_id/messages", ({ params, query }) => {
    const channel = state.channel(params.channel_id);
    requireChannelPermissions(state, params.channel_id, bot().id, READ_HISTORY);
    const limit = limitParam(query, 100);
    // Newest first, as Discord returns them; ephemeral messages are not in the history.
    let messages = [...channel.messages.values()].filter((m) => !(m.message.flags & EPHEMERAL))
      .sort((a, b) => BigInt(b.message.id) > BigInt(a.message.id) ? 1 : -1);
    const [before, after, around] = ["before", "after", "around"].map((key) =>
      snowflakeParam(query, key)
    );
    if (before) messages = messages.filter((m) => BigInt(m.message.id) < BigInt(before));
    if (after) {
      messages = messages.filter((m) => BigInt(m.message.id) > BigInt(after)).reverse()
        .slice(0, limit).reverse();
    }
    if (around) {
      const older = messages.filter((m) => BigInt(m.message.id) <= BigInt(around));
      const newer = messages.filter((m) => BigInt(m.message.id) > BigInt(around));
      const half = Math.floor(limit / 2);
      messages = [
        ...newer.slice(Math.max(0, newer.length - half)),
        ...older.slice(0, limit - half),
      ];
    }
    return ok(messages.slice(0, limit).map((m) => state.messageToApi(m)));
  });

  // Pins first: `/messages/pins` must not be read as a message id.
  registerPinRoutes(app, ctx);

  route(app, ctx, "GET", "/channels/:channel_id/messages/:message_id", ({ params }) => {
    requireChannelPermissions(state, params.channel_id, bot().id, READ_HISTORY);
    const record = state.message(params.channel_id, params.message_id);
    if (record.message.flags & EPHEMERAL) throw new DiscordError(404, ErrorCodes.UnknownMessage);
    return ok(state.messageToApi(record));
  });

  route(app, ctx, "POST", "/channels/:channel_id/messages", ({ params, body }) => {
    const record = postMessage(state, params.channel_id, bot(), objectBody(body.json), body.files);
    return ok(state.messageToApi(record));
  });

  route(app, ctx, "PATCH", "/channels/:channel_id/messages/:message_id", ({ params, body }) => {
    const record = state.message(params.channel_id, params.message_id);
    const input = objectBody(body.json);
    if (record.message.author.id !== bot().id) {
      // Others' messages: only the SUPPRESS_EMBEDS flag, and only with MANAGE_MESSAGES.
      const onlyFlags = Object.keys(input).every((k) => k === "flags");
      if (!onlyFlags) throw new DiscordError(403, ErrorCodes.CannotEditOtherUsersMessage);
      requireChannelPermissions(state, params.channel_id, bot().id, Permissions.MANAGE_MESSAGES);
    }
    requireContentPermissions(state, params.channel_id, bot().id, input, body.files);
    return ok(state.messageToApi(editMessage(state, record, input, body.files)));
  });

  route(app, ctx, "DELETE", "/channels/:channel_id/messages/:message_id", ({ params }) => {
    const record = state.message(params.channel_id, params.message_id);
    // The bot's own messages need only access; others' need MANAGE_MESSAGES.
    const own = record.message.author.id === bot().id;
    requireChannelPermissions(
      state,
      params.channel_id,
      bot().id,
      own ? Permissions.VIEW_CHANNEL : Permissions.MANAGE_MESSAGES,
    );
    deleteMessage(state, params.channel_id, params.message_id);
    return noContent();
  });

  route(app, ctx, "POST", "/channels/:channel_id/messages/bulk-delete", ({ params, body }) => {
    const channel = state.channel(params.channel_id);
    const input = objectBody(body.json);
    const ids = input.messages;
    if (!Array.isArray(ids)) {
      throw invalidField(["messages"], "BASE_TYPE_REQUIRED", "This field is required");
    }
    if (ids.length < 2) {
      throw invalidField(["messages"], "BASE_TYPE_MIN_LENGTH", "Must be 2 or more in length.");
    }
    if (ids.length > 100) {
      throw invalidField(["messages"], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.");
    }
    const unique = new Set<string>();
    ids.forEach((raw, i) => {
      const id = typeof raw === "number" && Number.isSafeInteger(raw) ? String(raw) : raw;
      if (!isSnowflake(id)) {
        throw invalidField(
          ["messages", i],
          "NUMBER_TYPE_COERCE",
          `Value "${raw}" is not snowflake.`,
        );
      }
      if (unique.has(id)) {
        throw invalidField(
          ["messages", i],
          "SET_TYPE_ALREADY_CONTAINS_VALUE",
          "The set already contains this value",
        );
      }
      unique.add(id);
    });
    requireChannelPermissions(state, params.channel_id, bot().id, Permissions.MANAGE_MESSAGES);
    for (const id of unique) {
      if (Date.now() - snowflakeTime(id) > FOURTEEN_DAYS_MS) {
        throw new DiscordError(400, ErrorCodes.BulkDeleteTooOld);
      }
    }
    const deleted = [...unique].filter((id) => channel.messages.delete(id));
    channel.pins = channel.pins.filter((id) => !deleted.includes(id));
    const guildId = channel.channel.guild_id;
    const d: Record<string, unknown> = { ids: deleted, channel_id: params.channel_id };
    if (guildId) d.guild_id = guildId;
    state.emit({ t: "MESSAGE_DELETE_BULK", d, guildId, intent: Intents.GUILD_MESSAGES });
    return noContent();
  });

  route(app, ctx, "POST", "/channels/:channel_id/typing", ({ params }) => {
    const channel = state.channel(params.channel_id).channel;
    requireChannelPermissions(
      state,
      params.channel_id,
      bot().id,
      isThread(channel.type) ? Permissions.SEND_MESSAGES_IN_THREADS : Permissions.SEND_MESSAGES,
    );
    const d: Record<string, unknown> = {
      channel_id: params.channel_id,
      user_id: bot().id,
      timestamp: Math.floor(Date.now() / 1000),
    };
    if (channel.guild_id) {
      d.guild_id = channel.guild_id;
      d.member = state.memberToApi(state.member(channel.guild_id, bot().id));
    }
    state.emit({
      t: "TYPING_START",
      d,
      guildId: channel.guild_id,
      intent: channel.guild_id ? Intents.GUILD_MESSAGE_TYPING : Intents.DIRECT_MESSAGE_TYPING,
    });
    return noContent();
  });
}

/** Pins: the older `/channels/:id/pins` routes and the current `/messages/pins` ones. */
function registerPinRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;
  const bot = () => state.botUser;

  // Discord: pins need VIEW_CHANNEL (50001 otherwise); without READ_MESSAGE_HISTORY the list is empty.
  const canReadPins = (channelId: string): boolean => {
    requireChannelPermissions(state, channelId, bot().id, Permissions.VIEW_CHANNEL);
    const guildId = state.channel(channelId).channel.guild_id;
    return !guildId ||
      (state.permissions(guildId, bot().id, channelId) & Permissions.READ_MESSAGE_HISTORY) !== 0n;
  };

  route(app, ctx, "GET", "/channels/:channel_id/pins", ({ params }) => {
    const channel = state.channel(params.channel_id);
    if (!canReadPins(params.channel_id)) return ok([]);
    const pins = channel.pins.map((id) => channel.messages.get(id)).filter((m) => m !== undefined);
    return ok(pins.reverse().map((m) => state.messageToApi(m)));
  });

  // The current shape: newest pin first, `before` an ISO timestamp, pages of ≤ 50.
  route(app, ctx, "GET", "/channels/:channel_id/messages/pins", ({ params, query }) => {
    const channel = state.channel(params.channel_id);
    const limit = limitParam(query, 50);
    const beforeRaw = query.get("before");
    const before = beforeRaw === null ? Infinity : Date.parse(beforeRaw);
    if (Number.isNaN(before)) {
      throw invalidField(["before"], "DATE_TYPE_PARSE", `Could not parse ${beforeRaw}.`);
    }
    if (!canReadPins(params.channel_id)) return ok({ items: [], has_more: false });
    const pinned = channel.pins.map((id) => channel.messages.get(id))
      .filter((m) => m?.pinnedAt !== undefined && Date.parse(m.pinnedAt) < before)
      .reverse() as (MessageRecord & { pinnedAt: string })[];
    return ok({
      items: pinned.slice(0, limit).map((m) => ({
        pinned_at: m.pinnedAt,
        message: state.messageToApi(m),
      })),
      has_more: pinned.length > limit,
    });
  });

  const setPinned = (channelId: string, messageId: string, pinned: boolean) => {
    const channel = state.channel(channelId);
    const record = state.message(channelId, messageId);
    // PIN_MESSAGES alone: MANAGE_MESSAGES stopped granting pins on 2026-01-12.
    requireChannelPermissions(state, channelId, bot().id, Permissions.PIN_MESSAGES);
    if (pinned && !record.message.pinned) {
      if (channel.pins.length >= 50) throw new DiscordError(400, ErrorCodes.MaxPins);
      channel.pins.push(messageId);
      record.pinnedAt = isoTimestamp();
    }
    if (!pinned) {
      channel.pins = channel.pins.filter((id) => id !== messageId);
      delete record.pinnedAt;
    }
    if (record.message.pinned === pinned) return;
    record.message.pinned = pinned;
    channel.channel.last_pin_timestamp = pinned
      ? isoTimestamp()
      : channel.channel.last_pin_timestamp;
    emitMessage(state, "MESSAGE_UPDATE", record);
    const guildId = channel.channel.guild_id;
    const d: Record<string, unknown> = {
      channel_id: channelId,
      last_pin_timestamp: channel.channel.last_pin_timestamp ?? null,
    };
    if (guildId) d.guild_id = guildId;
    state.emit({ t: "CHANNEL_PINS_UPDATE", d, guildId, intent: Intents.GUILDS });
  };

  // The older `/pins/:id` paths and the current `/messages/pins/:id` ones behave alike.
  for (const base of ["/channels/:channel_id/pins", "/channels/:channel_id/messages/pins"]) {
    route(app, ctx, "PUT", `${base}/:message_id`, ({ params }) => {
      setPinned(params.channel_id, params.message_id, true);
      return noContent();
    });
    route(app, ctx, "DELETE", `${base}/:message_id`, ({ params }) => {
      setPinned(params.channel_id, params.message_id, false);
      return noContent();
    });
  }
}
