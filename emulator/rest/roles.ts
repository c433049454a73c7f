/**
 * Role management: create, edit and delete guild roles, with Discord's
 * MANAGE_ROLES, hierarchy and "cannot grant what you lack" rules.
 *
 * @module
 */

import type { Hono } from "hono";
import { isRecord, objectBody } from "../body.ts";
import { DiscordError, invalidField, missingPermissions } from "../errors.ts";
import { ALL_PERMISSIONS, highestRolePosition, Permissions } from "../permissions.ts";
import { type EmulatorState } from "../state.ts";
import { Intents } from "../state_records.ts";
import type { ApiRole } from "../types.ts";
import { noContent, ok, type RestContext, route } from "./router.ts";

function botTop(state: EmulatorState, guildId: string): number {
  const guild = state.guild(guildId);
  if (guild.guild.owner_id === state.botUser.id) return Infinity;
  return highestRolePosition(
    [...guild.roles.values()],
    state.member(guildId, state.botUser.id).roles,
  );
}

/** Checks MANAGE_ROLES and that `permissions` only contains bits the bot has. */
function requireGrantable(state: EmulatorState, guildId: string, permissions?: bigint): void {
  const mine = state.permissions(guildId, state.botUser.id);
  if (!(mine & Permissions.MANAGE_ROLES)) throw missingPermissions();
  if (permissions !== undefined && (permissions & ~mine) !== 0n) throw missingPermissions();
}

function parsePermissions(value: unknown): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || !/^\d+$/.test(value) || BigInt(value) > ALL_PERMISSIONS) {
    throw invalidField(["permissions"], "NUMBER_TYPE_COERCE", `Value "${value}" is not int.`);
  }
  return BigInt(value);
}

function applyFields(role: ApiRole, input: Record<string, unknown>): void {
  if (input.name !== undefined) {
    if (typeof input.name !== "string" || input.name.length > 100) {
      throw invalidField(["name"], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.");
    }
    role.name = input.name;
  }
  if (typeof input.color === "number") {
    role.color = input.color;
    role.colors = { ...role.colors, primary_color: input.color };
  }
  if (isRecord(input.colors) && typeof input.colors.primary_color === "number") {
    const { primary_color, secondary_color, tertiary_color } = input.colors;
    role.colors = {
      primary_color,
      secondary_color: typeof secondary_color === "number" ? secondary_color : null,
      tertiary_color: typeof tertiary_color === "number" ? tertiary_color : null,
    };
    role.color = primary_color;
  }
  if (typeof input.hoist === "boolean") role.hoist = input.hoist;
  if (typeof input.mentionable === "boolean") role.mentionable = input.mentionable;
}

export function registerRoleRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;

  route(app, ctx, "POST", "/guilds/:guild_id/roles", ({ params, body }) => {
    const guild = state.guild(params.guild_id);
    const input = objectBody(body.json);
    const permissions = parsePermissions(input.permissions);
    requireGrantable(state, params.guild_id, permissions);
    if (guild.roles.size >= 250) {
      throw new DiscordError(400, {
        code: 30005,
        message: "Maximum number of guild roles reached (250)",
      });
    }
    // New roles appear directly above @everyone.
    for (const role of guild.roles.values()) if (role.position >= 1) role.position++;
    const everyone = guild.roles.get(params.guild_id);
    const role = state.createRole(params.guild_id, {
      name: "new role",
      position: 1,
      permissions: (permissions ?? BigInt(everyone?.permissions ?? "0")).toString(),
    });
    applyFields(role, input);
    state.emit({
      t: "GUILD_ROLE_CREATE",
      d: { guild_id: params.guild_id, role },
      guildId: params.guild_id,
      intent: Intents.GUILDS,
    });
    return ok(role);
  });

  route(app, ctx, "PATCH", "/guilds/:guild_id/roles/:role_id", ({ params, body }) => {
    const role = state.role(params.guild_id, params.role_id);
    const input = objectBody(body.json);
    const permissions = parsePermissions(input.permissions);
    requireGrantable(state, params.guild_id, permissions);
    if (role.position >= botTop(state, params.guild_id)) throw missingPermissions();
    applyFields(role, input);
    if (permissions !== undefined) role.permissions = permissions.toString();
    state.emit({
      t: "GUILD_ROLE_UPDATE",
      d: { guild_id: params.guild_id, role },
      guildId: params.guild_id,
      intent: Intents.GUILDS,
    });
    return ok(role);
  });

  route(app, ctx, "DELETE", "/guilds/:guild_id/roles/:role_id", ({ params }) => {
    const guild = state.guild(params.guild_id);
    const role = state.role(params.guild_id, params.role_id);
    requireGrantable(state, params.guild_id);
    if (role.id === params.guild_id || role.managed) {
      throw new DiscordError(400, { code: 50028, message: "Invalid Role" });
    }
    if (role.position >= botTop(state, params.guild_id)) throw missingPermissions();
    guild.roles.delete(role.id);
    for (const other of guild.roles.values()) if (other.position > role.position) other.position--;
    for (const member of guild.members.values()) {
      member.roles = member.roles.filter((r) => r !== role.id);
    }
    state.emit({
      t: "GUILD_ROLE_DELETE",
      d: { guild_id: params.guild_id, role_id: role.id },
      guildId: params.guild_id,
      intent: Intents.GUILDS,
    });
    return noContent();
  });
}
