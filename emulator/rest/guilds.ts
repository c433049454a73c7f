/**
 * Guild endpoints: the guild, its channels and roles, members (get, list,
 * search, edit incl. timeouts, role add/remove, kick) and bans — with the
 * permission and role-hierarchy checks Discord applies.
 *
 * @module
 */

import type { Hono } from "hono";
import { objectBody } from "../body.ts";
import { DiscordError, ErrorCodes, invalidField, missingPermissions } from "../errors.ts";
import { highestRolePosition, Permissions } from "../permissions.ts";
import { isSnowflake } from "../snowflake.ts";
import { type EmulatorState } from "../state.ts";
import { Intents } from "../state_records.ts";
import { noContent, ok, type RestContext, route } from "./router.ts";

/** GATEWAY_GUILD_MEMBERS and GATEWAY_GUILD_MEMBERS_LIMITED application flags. */
const GUILD_MEMBERS_FLAGS = (1 << 14) | (1 << 15);
const MAX_TIMEOUT_MS = 28 * 24 * 60 * 60 * 1000;

/** The bot must be in the guild to see it (403 50001 otherwise). */
function botGuild(state: EmulatorState, guildId: string) {
  const guild = state.guild(guildId);
  if (!guild.members.has(state.botUser.id)) throw new DiscordError(403, ErrorCodes.MissingAccess);
  return guild;
}

/** Requires guild permissions for the bot. */
function requireGuildPermissions(state: EmulatorState, guildId: string, needed: bigint): void {
  if ((state.permissions(guildId, state.botUser.id) & needed) !== needed) {
    throw missingPermissions();
  }
}

/** The bot may only act on members whose highest role is below its own (and never the owner). */
function requireAbove(state: EmulatorState, guildId: string, targetId: string): void {
  const guild = state.guild(guildId);
  if (targetId === guild.guild.owner_id) throw missingPermissions();
  if (guild.guild.owner_id === state.botUser.id) return;
  const roles = [...guild.roles.values()];
  const mine = highestRolePosition(roles, state.member(guildId, state.botUser.id).roles);
  const theirs = highestRolePosition(roles, guild.members.get(targetId)?.roles ?? []);
  if (theirs >= mine) throw missingPermissions();
}

/** The bot may only assign roles below its highest role, and never managed ones. */
function requireAssignable(state: EmulatorState, guildId: string, roleId: string): void {
  const role = state.role(guildId, roleId);
  const guild = state.guild(guildId);
  if (role.managed || roleId === guildId) throw missingPermissions();
  if (guild.guild.owner_id === state.botUser.id) return;
  const mine = highestRolePosition(
    [...guild.roles.values()],
    state.member(guildId, state.botUser.id).roles,
  );
  if (role.position >= mine) throw missingPermissions();
}

function emitMemberUpdate(state: EmulatorState, guildId: string, userId: string): void {
  const member = state.memberToApi(state.member(guildId, userId));
  state.emit({
    t: "GUILD_MEMBER_UPDATE",
    d: { guild_id: guildId, ...member },
    guildId,
    intent: Intents.GUILD_MEMBERS,
  });
}

/** Removes a member and dispatches GUILD_MEMBER_REMOVE. */
export function removeMember(state: EmulatorState, guildId: string, userId: string): void {
  const guild = state.guild(guildId);
  if (!guild.members.delete(userId)) return;
  state.emit({
    t: "GUILD_MEMBER_REMOVE",
    d: { guild_id: guildId, user: state.user(userId) },
    guildId,
    intent: Intents.GUILD_MEMBERS,
  });
}

export function registerGuildRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;
  const botId = () => state.botUser.id;

  route(app, ctx, "GET", "/guilds/:guild_id", ({ params, query }) => {
    const guild = botGuild(state, params.guild_id);
    const body: Record<string, unknown> = { ...state.guildToApi(params.guild_id) };
    if (query.get("with_counts") === "true") {
      body.approximate_member_count = guild.members.size;
      body.approximate_presence_count = 0;
    }
    return ok(body);
  });

  route(app, ctx, "GET", "/guilds/:guild_id/channels", ({ params }) => {
    const guild = botGuild(state, params.guild_id);
    const channels = guild.channelIds.map((id) => state.channel(id).channel)
      .filter((c) => c.type !== 10 && c.type !== 11 && c.type !== 12);
    return ok(channels);
  });

  route(app, ctx, "GET", "/guilds/:guild_id/roles", ({ params }) => {
    botGuild(state, params.guild_id);
    return ok(state.guildToApi(params.guild_id).roles);
  });

  route(app, ctx, "GET", "/guilds/:guild_id/members", ({ params, query }) => {
    const guild = botGuild(state, params.guild_id);
    // Listing members needs the privileged GUILD_MEMBERS intent enabled for the app.
    if (!(state.application.flags & GUILD_MEMBERS_FLAGS)) {
      throw new DiscordError(403, ErrorCodes.MissingAccess);
    }
    const limit = Number(query.get("limit") ?? 1);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw invalidField(["limit"], "NUMBER_TYPE_MAX", "int value should be between 1 and 1000.");
    }
    const after = BigInt(query.get("after") ?? "0");
    const members = [...guild.members.values()]
      .filter((m) => BigInt(m.userId) > after)
      .sort((a, b) => (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1))
      .slice(0, limit);
    return ok(members.map((m) => state.memberToApi(m)));
  });

  route(app, ctx, "GET", "/guilds/:guild_id/members/search", ({ params, query }) => {
    const guild = botGuild(state, params.guild_id);
    const q = query.get("query");
    if (q === null) throw invalidField(["query"], "BASE_TYPE_REQUIRED", "This field is required");
    const limit = Number(query.get("limit") ?? 1);
    const needle = q.toLowerCase();
    const members = [...guild.members.values()].filter((m) => {
      const user = state.users.get(m.userId);
      return (user?.username.toLowerCase().startsWith(needle) ?? false) ||
        (user?.global_name?.toLowerCase().startsWith(needle) ?? false) ||
        (m.nick?.toLowerCase().startsWith(needle) ?? false);
    }).slice(0, Math.min(Math.max(limit, 1), 1000));
    return ok(members.map((m) => state.memberToApi(m)));
  });

  route(app, ctx, "GET", "/guilds/:guild_id/members/:user_id", ({ params }) => {
    botGuild(state, params.guild_id);
    return ok(state.memberToApi(state.member(params.guild_id, params.user_id)));
  });

  route(app, ctx, "PATCH", "/guilds/:guild_id/members/:user_id", ({ params, body }) => {
    botGuild(state, params.guild_id);
    const guildId = params.guild_id;
    // `@me` is the bot itself (Modify Current Member: only `nick` may change).
    const self = params.user_id === "@me";
    const userId = self ? botId() : params.user_id;
    const member = state.member(guildId, userId);
    const input = objectBody(body.json);
    if (self && Object.keys(input).some((k) => k !== "nick")) {
      throw invalidField(
        [Object.keys(input).find((k) => k !== "nick") ?? ""],
        "BASE_TYPE_INVALID",
        "Only nick can be modified for the current member.",
      );
    }
    if ("nick" in input) {
      const nick = input.nick;
      if (nick !== null && (typeof nick !== "string" || nick.length > 32)) {
        throw invalidField(["nick"], "BASE_TYPE_MAX_LENGTH", "Must be 32 or fewer in length.");
      }
      const perm = userId === botId() ? Permissions.CHANGE_NICKNAME : Permissions.MANAGE_NICKNAMES;
      requireGuildPermissions(state, guildId, perm);
      if (userId !== botId()) requireAbove(state, guildId, userId);
    }
    if ("roles" in input) {
      if (!Array.isArray(input.roles) || !input.roles.every(isSnowflake)) {
        throw invalidField(["roles"], "LIST_TYPE_CONVERT", "Must be an array of snowflakes.");
      }
      requireGuildPermissions(state, guildId, Permissions.MANAGE_ROLES);
      const next = new Set(input.roles as string[]);
      const changed = [...next].filter((r) => !member.roles.includes(r))
        .concat(member.roles.filter((r) => !next.has(r)));
      for (const roleId of changed) requireAssignable(state, guildId, roleId);
    }
    if ("communication_disabled_until" in input) {
      const until = input.communication_disabled_until;
      requireGuildPermissions(state, guildId, Permissions.MODERATE_MEMBERS);
      requireAbove(state, guildId, userId);
      // Administrators cannot be timed out.
      if (state.permissions(guildId, userId) & Permissions.ADMINISTRATOR) {
        throw missingPermissions();
      }
      if (until !== null) {
        const at = typeof until === "string" ? Date.parse(until) : NaN;
        if (Number.isNaN(at)) {
          throw invalidField(
            ["communication_disabled_until"],
            "DATE_TIME_TYPE_PARSE",
            "Could not parse datetime.",
          );
        }
        if (at - Date.now() > MAX_TIMEOUT_MS) {
          throw invalidField(
            ["communication_disabled_until"],
            "COMMUNICATION_DISABLED_TIMESTAMP_TOO_LARGE",
            "Timeouts cannot be longer than 28 days.",
          );
        }
      }
    }
    for (const key of ["mute", "deaf"] as const) {
      if (key in input) {
        requireGuildPermissions(
          state,
          guildId,
          key === "mute" ? Permissions.MUTE_MEMBERS : Permissions.DEAFEN_MEMBERS,
        );
      }
    }
    // All checks passed: apply.
    if ("nick" in input) member.nick = (input.nick as string | null) || null;
    if ("roles" in input) member.roles = [...new Set(input.roles as string[])];
    if ("communication_disabled_until" in input) {
      const until = input.communication_disabled_until;
      member.communicationDisabledUntil = typeof until === "string"
        ? new Date(until).toISOString().replace("Z", "+00:00")
        : null;
    }
    if (typeof input.mute === "boolean") member.mute = input.mute;
    if (typeof input.deaf === "boolean") member.deaf = input.deaf;
    emitMemberUpdate(state, guildId, userId);
    return ok(state.memberToApi(member));
  });

  route(app, ctx, "PUT", "/guilds/:guild_id/members/:user_id/roles/:role_id", ({ params }) => {
    botGuild(state, params.guild_id);
    const member = state.member(params.guild_id, params.user_id);
    requireGuildPermissions(state, params.guild_id, Permissions.MANAGE_ROLES);
    requireAssignable(state, params.guild_id, params.role_id);
    if (!member.roles.includes(params.role_id)) {
      member.roles.push(params.role_id);
      emitMemberUpdate(state, params.guild_id, params.user_id);
    }
    return noContent();
  });

  route(app, ctx, "DELETE", "/guilds/:guild_id/members/:user_id/roles/:role_id", ({ params }) => {
    botGuild(state, params.guild_id);
    const member = state.member(params.guild_id, params.user_id);
    requireGuildPermissions(state, params.guild_id, Permissions.MANAGE_ROLES);
    requireAssignable(state, params.guild_id, params.role_id);
    if (member.roles.includes(params.role_id)) {
      member.roles = member.roles.filter((r) => r !== params.role_id);
      emitMemberUpdate(state, params.guild_id, params.user_id);
    }
    return noContent();
  });

  route(app, ctx, "DELETE", "/guilds/:guild_id/members/:user_id", ({ params }) => {
    botGuild(state, params.guild_id);
    state.member(params.guild_id, params.user_id);
    requireGuildPermissions(state, params.guild_id, Permissions.KICK_MEMBERS);
    requireAbove(state, params.guild_id, params.user_id);
    removeMember(state, params.guild_id, params.user_id);
    return noContent();
  });

  route(app, ctx, "GET", "/guilds/:guild_id/bans", ({ params }) => {
    const guild = botGuild(state, params.guild_id);
    requireGuildPermissions(state, params.guild_id, Permissions.BAN_MEMBERS);
    return ok([...guild.bans.values()]);
  });

  route(app, ctx, "GET", "/guilds/:guild_id/bans/:user_id", ({ params }) => {
    const guild = botGuild(state, params.guild_id);
    requireGuildPermissions(state, params.guild_id, Permissions.BAN_MEMBERS);
    const ban = guild.bans.get(params.user_id);
    if (!ban) throw new DiscordError(404, ErrorCodes.UnknownBan);
    return ok(ban);
  });

  route(app, ctx, "PUT", "/guilds/:guild_id/bans/:user_id", ({ params, body, reason }) => {
    const guild = botGuild(state, params.guild_id);
    const user = state.user(params.user_id);
    requireGuildPermissions(state, params.guild_id, Permissions.BAN_MEMBERS);
    if (guild.members.has(user.id)) requireAbove(state, params.guild_id, user.id);
    const input = objectBody(body.json);
    const seconds = input.delete_message_seconds ?? 0;
    if (typeof seconds !== "number" || seconds < 0 || seconds > 604800) {
      throw invalidField(
        ["delete_message_seconds"],
        "NUMBER_TYPE_MAX",
        "int value should be less than or equal to 604800.",
      );
    }
    guild.bans.set(user.id, { reason, user });
    removeMember(state, params.guild_id, user.id);
    if (seconds > 0) {
      const cutoff = Date.now() - seconds * 1000;
      for (const channelId of guild.channelIds) {
        const channel = state.channels.get(channelId);
        if (!channel) continue;
        for (const [id, m] of channel.messages) {
          if (m.message.author.id === user.id && Date.parse(m.message.timestamp) >= cutoff) {
            channel.messages.delete(id);
          }
        }
      }
    }
    state.emit({
      t: "GUILD_BAN_ADD",
      d: { guild_id: params.guild_id, user },
      guildId: params.guild_id,
      intent: Intents.GUILD_MODERATION,
    });
    return noContent();
  });

  route(app, ctx, "DELETE", "/guilds/:guild_id/bans/:user_id", ({ params }) => {
    const guild = botGuild(state, params.guild_id);
    requireGuildPermissions(state, params.guild_id, Permissions.BAN_MEMBERS);
    const ban = guild.bans.get(params.user_id);
    if (!ban) throw new DiscordError(404, ErrorCodes.UnknownBan);
    guild.bans.delete(params.user_id);
    state.emit({
      t: "GUILD_BAN_REMOVE",
      d: { guild_id: params.guild_id, user: ban.user },
      guildId: params.guild_id,
      intent: Intents.GUILD_MODERATION,
    });
    return noContent();
  });

  route(app, ctx, "GET", "/channels/:channel_id", ({ params }) => {
    const channel = state.channel(params.channel_id).channel;
    if (channel.guild_id) {
      const perms = state.permissions(channel.guild_id, botId(), params.channel_id);
      if (!(perms & Permissions.VIEW_CHANNEL)) {
        throw new DiscordError(403, ErrorCodes.MissingAccess);
      }
    }
    return ok(channel);
  });
}
