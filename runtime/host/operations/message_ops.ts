/**
 * Messages, reactions, pins and threads in the guild's own channels. Every
 * message is addressed through its channel, and the channel is checked
 * against the guild first.
 *
 * @module
 */

import type { OperationHandlers } from "./context.ts";
import { withReplyNonce } from "./reply_nonces.ts";

type MessageOp =
  | "message.send"
  | "message.edit"
  | "message.delete"
  | "message.get"
  | "message.list"
  | "reaction.add"
  | "reaction.remove"
  | "reaction.removeAll"
  | "pin.add"
  | "pin.remove"
  | "thread.create";

const msg = (channelId: string, messageId: string) =>
  `/channels/${channelId}/messages/${messageId}`;

export const messageOperations: OperationHandlers<MessageOp> = {
  "message.send": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    await ctx.scope.messageBody(a.data);
    const body = withReplyNonce(a.data as Record<string, unknown>, ctx.replyNonces);
    return await ctx.request("POST", `/channels/${a.channelId}/messages`, { body });
  },
  "message.edit": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    await ctx.scope.messageBody(a.data);
    return await ctx.request("PATCH", msg(a.channelId, a.messageId), { body: a.data });
  },
  "message.delete": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    await ctx.request("DELETE", msg(a.channelId, a.messageId), { reason: a.reason });
    return null;
  },
  "message.get": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    return await ctx.request("GET", msg(a.channelId, a.messageId));
  },
  "message.list": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    const query = new URLSearchParams({ limit: String(a.limit ?? 50) });
    if (a.before) query.set("before", a.before);
    if (a.after) query.set("after", a.after);
    return await ctx.request("GET", `/channels/${a.channelId}/messages?${query}`);
  },
  "reaction.add": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    const emoji = encodeURIComponent(a.emoji);
    await ctx.request("PUT", `${msg(a.channelId, a.messageId)}/reactions/${emoji}/@me`);
    return null;
  },
  "reaction.remove": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    const emoji = encodeURIComponent(a.emoji);
    const who = a.userId ?? "@me";
    await ctx.request("DELETE", `${msg(a.channelId, a.messageId)}/reactions/${emoji}/${who}`);
    return null;
  },
  "reaction.removeAll": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    const suffix = a.emoji ? `/${encodeURIComponent(a.emoji)}` : "";
    await ctx.request("DELETE", `${msg(a.channelId, a.messageId)}/reactions${suffix}`);
    return null;
  },
  "pin.add": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    await ctx.request("PUT", `/channels/${a.channelId}/pins/${a.messageId}`);
    return null;
  },
  "pin.remove": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    await ctx.request("DELETE", `/channels/${a.channelId}/pins/${a.messageId}`);
    return null;
  },
  "thread.create": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    const body: Record<string, unknown> = { name: a.name };
    if (a.autoArchiveDuration) body.auto_archive_duration = a.autoArchiveDuration;
    const thread = a.messageId
      ? await ctx.request("POST", `${msg(a.channelId, a.messageId)}/threads`, { body })
      : await ctx.request("POST", `/channels/${a.channelId}/threads`, {
        body: { ...body, type: a.private ? 12 : 11 },
      });
    const created = thread as { id?: string; guild_id?: string };
    if (created?.id) ctx.scope.directory.addChannel({ id: created.id, guild_id: ctx.guildId });
    return thread;
  },
};
