/**
 * Reaction endpoints: add/remove own, remove others', list users, clear all
 * or one emoji — dispatching the MESSAGE_REACTION_* events Discord sends.
 *
 * @module
 */

import type { Hono } from "hono";
import { requireChannelPermissions } from "../message_access.ts";
import { Permissions } from "../permissions.ts";
import { addReaction, parseEmoji, reactionEvent, removeReaction } from "../reacting.ts";
import { limitParam, snowflakeParam } from "./query.ts";
import { noContent, ok, type RestContext, route } from "./router.ts";

export function registerReactionRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;
  const base = "/channels/:channel_id/messages/:message_id/reactions";
  const botId = () => state.botUser.id;

  const removeUser = (channelId: string, messageId: string, rawEmoji: string, userId: string) =>
    removeReaction(state, channelId, messageId, userId, rawEmoji);

  route(app, ctx, "PUT", `${base}/:emoji/@me`, ({ params }) => {
    const record = state.message(params.channel_id, params.message_id);
    const { key } = parseEmoji(params.emoji);
    const existing = record.reactions.get(key);
    // Adding a new emoji needs ADD_REACTIONS; joining an existing one only READ_MESSAGE_HISTORY.
    requireChannelPermissions(
      state,
      params.channel_id,
      botId(),
      Permissions.READ_MESSAGE_HISTORY | (existing ? 0n : Permissions.ADD_REACTIONS),
    );
    addReaction(state, params.channel_id, params.message_id, botId(), params.emoji);
    return noContent();
  });

  route(app, ctx, "DELETE", `${base}/:emoji/@me`, ({ params }) => {
    // Removing the bot's own reaction needs only access to the channel.
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.VIEW_CHANNEL);
    removeUser(params.channel_id, params.message_id, params.emoji, botId());
    return noContent();
  });

  route(app, ctx, "DELETE", `${base}/:emoji/:user_id`, ({ params }) => {
    state.message(params.channel_id, params.message_id);
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_MESSAGES);
    removeUser(params.channel_id, params.message_id, params.emoji, params.user_id);
    return noContent();
  });

  route(app, ctx, "GET", `${base}/:emoji`, ({ params, query }) => {
    const record = state.message(params.channel_id, params.message_id);
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.VIEW_CHANNEL);
    const { key } = parseEmoji(params.emoji);
    const limit = limitParam(query, 100, 25);
    const after = BigInt(snowflakeParam(query, "after") ?? "0");
    const users = (record.reactions.get(key)?.users ?? [])
      .filter((id) => BigInt(id) > after)
      .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))
      .slice(0, limit)
      .map((id) => state.user(id));
    return ok(users);
  });

  route(app, ctx, "DELETE", base, ({ params }) => {
    const record = state.message(params.channel_id, params.message_id);
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_MESSAGES);
    record.reactions.clear();
    reactionEvent(state, "MESSAGE_REACTION_REMOVE_ALL", record, {});
    return noContent();
  });

  route(app, ctx, "DELETE", `${base}/:emoji`, ({ params }) => {
    const record = state.message(params.channel_id, params.message_id);
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_MESSAGES);
    const { key, emoji } = parseEmoji(params.emoji);
    if (record.reactions.delete(key)) {
      reactionEvent(state, "MESSAGE_REACTION_REMOVE_EMOJI", record, { emoji });
    }
    return noContent();
  });
}
