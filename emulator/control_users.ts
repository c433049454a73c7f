/**
 * Control routes for what Discord users do: post, DM, edit and delete
 * messages, react, leave guilds, and run slash commands, autocomplete and
 * component interactions. Each goes through the same world operations as
 * the bot's REST calls, with the user's permissions, and is dispatched.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import { isRecord } from "./body.ts";
import { jsonBody, str } from "./control_http.ts";
import { DiscordError, ErrorCodes, invalidField, notFound } from "./errors.ts";
import {
  invokeAutocomplete,
  invokeComponent,
  invokeContextMenu,
  invokeSlash,
} from "./interactions.ts";
import { requireChannelPermissions } from "./message_access.ts";
import { deleteMessage, editMessage, postMessage } from "./messaging.ts";
import { Permissions } from "./permissions.ts";
import { addReaction, removeReaction } from "./reacting.ts";
import { removeMember } from "./rest/guilds.ts";
import { type EmulatorState } from "./state.ts";
import { Intents, type InteractionRecord } from "./state_records.ts";
import type { ApiInteractionOption } from "./types.ts";

export function registerUserActions(app: Hono, state: EmulatorState): void {
  app.post("/typing", async (c) => {
    const input = await jsonBody(c);
    const userId = str(input, "userId");
    const channelId = str(input, "channelId");
    const channel = state.channel(channelId).channel;
    requireChannelPermissions(state, channelId, userId, Permissions.SEND_MESSAGES);
    const d: Record<string, unknown> = {
      channel_id: channelId,
      user_id: userId,
      timestamp: Math.floor(Date.now() / 1000),
    };
    if (channel.guild_id) {
      d.guild_id = channel.guild_id;
      d.member = state.memberToApi(state.member(channel.guild_id, userId));
    }
    state.emit({
      t: "TYPING_START",
      d,
      guildId: channel.guild_id,
      intent: channel.guild_id ? Intents.GUILD_MESSAGE_TYPING : Intents.DIRECT_MESSAGE_TYPING,
    });
    return c.body(null, 204);
  });

  app.post("/messages", async (c) => {
    const input = await jsonBody(c);
    const guildId = str(input, "guildId");
    const channelId = str(input, "channelId");
    const userId = str(input, "userId");
    const channel = state.channel(channelId).channel;
    if (channel.guild_id !== guildId) throw notFound(ErrorCodes.UnknownChannel);
    state.member(guildId, userId);
    const body: Record<string, unknown> = {
      content: typeof input.content === "string" ? input.content : "",
    };
    if (isRecord(input.messageReference)) body.message_reference = input.messageReference;
    if (Array.isArray(input.embeds)) body.embeds = input.embeds;
    const record = postMessage(state, channelId, state.user(userId), body);
    return c.json(state.messageToApi(record), 201);
  });

  // ---- more things users do ----

  app.post("/dms", async (c) => {
    const input = await jsonBody(c);
    const user = state.user(str(input, "userId"));
    const channel = state.dmChannel(user.id);
    const record = postMessage(state, channel.channel.id, user, {
      content: typeof input.content === "string" ? input.content : "",
    });
    return c.json(state.messageToApi(record), 201);
  });

  app.patch("/messages/:channel_id/:message_id", async (c) => {
    const input = await jsonBody(c);
    const userId = str(input, "userId");
    const record = state.message(c.req.param("channel_id"), c.req.param("message_id"));
    if (record.message.author.id !== userId) {
      throw new DiscordError(403, ErrorCodes.CannotEditOtherUsersMessage);
    }
    editMessage(state, record, { content: typeof input.content === "string" ? input.content : "" });
    return c.json(state.messageToApi(record));
  });

  app.delete("/messages/:channel_id/:message_id", async (c) => {
    const input = await jsonBody(c);
    const userId = str(input, "userId");
    const channelId = c.req.param("channel_id");
    const record = state.message(channelId, c.req.param("message_id"));
    if (record.message.author.id !== userId) {
      requireChannelPermissions(state, channelId, userId, Permissions.MANAGE_MESSAGES);
    }
    deleteMessage(state, channelId, record.message.id);
    return c.body(null, 204);
  });

  const reactionInput = async (c: Context) => {
    const input = await jsonBody(c);
    return {
      channelId: str(input, "channelId"),
      messageId: str(input, "messageId"),
      userId: str(input, "userId"),
      emoji: str(input, "emoji"),
    };
  };

  app.post("/reactions", async (c) => {
    const r = await reactionInput(c);
    const existing = state.message(r.channelId, r.messageId).reactions.has(r.emoji);
    requireChannelPermissions(
      state,
      r.channelId,
      r.userId,
      Permissions.READ_MESSAGE_HISTORY | (existing ? 0n : Permissions.ADD_REACTIONS),
    );
    addReaction(state, r.channelId, r.messageId, r.userId, r.emoji);
    return c.body(null, 204);
  });

  app.delete("/reactions", async (c) => {
    const r = await reactionInput(c);
    removeReaction(state, r.channelId, r.messageId, r.userId, r.emoji);
    return c.body(null, 204);
  });

  app.delete("/guilds/:guild_id/members/:user_id", (c) => {
    const guildId = c.req.param("guild_id");
    state.member(guildId, c.req.param("user_id"));
    removeMember(state, guildId, c.req.param("user_id"));
    return c.body(null, 204);
  });

  // A slash command and its autocomplete take the same input: guild, channel, user, name, options.
  for (
    const [path, invoke] of [["slash", invokeSlash], ["autocomplete", invokeAutocomplete]] as const
  ) {
    app.post(`/interactions/${path}`, async (c) => {
      const input = await jsonBody(c);
      const options = parseOptions(input.options, ["options"]);
      const record = invoke(state, {
        guildId: str(input, "guildId"),
        channelId: str(input, "channelId"),
        userId: str(input, "userId"),
        name: str(input, "name"),
        options,
      });
      return c.json(created(record), 201);
    });
  }

  app.post("/interactions/context-menu", async (c) => {
    const input = await jsonBody(c);
    const record = invokeContextMenu(state, {
      guildId: str(input, "guildId"),
      channelId: str(input, "channelId"),
      userId: str(input, "userId"),
      commandId: str(input, "commandId"),
      targetId: str(input, "targetId"),
    });
    return c.json(created(record), 201);
  });

  app.post("/interactions/component", async (c) => {
    const input = await jsonBody(c);
    const record = invokeComponent(state, {
      channelId: str(input, "channelId"),
      messageId: str(input, "messageId"),
      userId: str(input, "userId"),
      customId: str(input, "customId"),
      componentType: typeof input.componentType === "number" ? input.componentType : undefined,
      values: Array.isArray(input.values) ? input.values.map(String) : undefined,
    });
    return c.json(created(record), 201);
  });
}

/** What creating an interaction answers: its id and token. */
function created(record: InteractionRecord): { interactionId: string; token: string } {
  return { interactionId: record.interaction.id, token: record.interaction.token };
}

/** Checks the shape of user-supplied interaction options (name, type, value, nesting). */
function parseOptions(
  value: unknown,
  path: (string | number)[],
): ApiInteractionOption[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalidField(path, "LIST_TYPE_CONVERT", "Must be an array.");
  return value.map((raw, i) => {
    if (!isRecord(raw) || typeof raw.name !== "string" || typeof raw.type !== "number") {
      throw invalidField([...path, i], "BASE_TYPE_REQUIRED", "name and type are required");
    }
    const option: ApiInteractionOption = { name: raw.name, type: raw.type };
    if (raw.value !== undefined) option.value = raw.value;
    if (raw.focused === true) option.focused = true;
    const nested = parseOptions(raw.options, [...path, i, "options"]);
    if (nested) option.options = nested;
    return option;
  });
}
