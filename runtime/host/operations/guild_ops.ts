/**
 * Members, roles and channels of the guild. Routes are built on the host's
 * guild id; role ids and member ids are checked against that guild first,
 * so a foreign id gets a clear refusal instead of Discord's generic 404.
 *
 * @module
 */

import type { OperationHandlers } from "./context.ts";

type GuildOp =
  | "member.get"
  | "member.list"
  | "member.addRole"
  | "member.removeRole"
  | "member.timeout"
  | "member.kick"
  | "member.ban"
  | "member.unban"
  | "role.list"
  | "channel.get"
  | "channel.list";

export const guildOperations: OperationHandlers<GuildOp> = {
  "member.get": (ctx, a) => ctx.scope.member(a.userId),
  "member.list": async (ctx, a) => {
    const query = new URLSearchParams({ limit: String(a.limit ?? 100) });
    if (a.after) query.set("after", a.after);
    return await ctx.request("GET", `/guilds/${ctx.guildId}/members?${query}`);
  },
  "member.addRole": async (ctx, a) => {
    await ctx.scope.role(a.roleId);
    await ctx.scope.member(a.userId);
    const route = `/guilds/${ctx.guildId}/members/${a.userId}/roles/${a.roleId}`;
    await ctx.request("PUT", route, { reason: a.reason });
    return null;
  },
  "member.removeRole": async (ctx, a) => {
    await ctx.scope.role(a.roleId);
    await ctx.scope.member(a.userId);
    const route = `/guilds/${ctx.guildId}/members/${a.userId}/roles/${a.roleId}`;
    await ctx.request("DELETE", route, { reason: a.reason });
    return null;
  },
  "member.timeout": async (ctx, a) => {
    await ctx.scope.member(a.userId);
    return await ctx.request("PATCH", `/guilds/${ctx.guildId}/members/${a.userId}`, {
      body: { communication_disabled_until: a.until },
      reason: a.reason,
    });
  },
  "member.kick": async (ctx, a) => {
    await ctx.scope.member(a.userId);
    await ctx.request("DELETE", `/guilds/${ctx.guildId}/members/${a.userId}`, {
      reason: a.reason,
    });
    return null;
  },
  "member.ban": async (ctx, a) => {
    const body = a.deleteMessageSeconds === undefined
      ? {}
      : { delete_message_seconds: a.deleteMessageSeconds };
    await ctx.request("PUT", `/guilds/${ctx.guildId}/bans/${a.userId}`, {
      body,
      reason: a.reason,
    });
    return null;
  },
  "member.unban": async (ctx, a) => {
    await ctx.request("DELETE", `/guilds/${ctx.guildId}/bans/${a.userId}`, { reason: a.reason });
    return null;
  },
  "role.list": (ctx) => ctx.request("GET", `/guilds/${ctx.guildId}/roles`),
  "channel.get": async (ctx, a) => {
    await ctx.scope.channel(a.channelId);
    return await ctx.request("GET", `/channels/${a.channelId}`);
  },
  "channel.list": (ctx) => ctx.request("GET", `/guilds/${ctx.guildId}/channels`),
};
