/**
 * Discord's permission model: role permissions, ADMINISTRATOR, owner, then
 * channel overwrites in the documented order. REST handlers ask it before
 * acting on the bot's behalf, so scripts see 403 50013 where Discord would.
 *
 * @module
 */

import type { ApiOverwrite, ApiRole } from "./types.ts";

/** Permission bits (Discord's names, SCREAMING_CASE). */
export const Permissions = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_AUDIT_LOG: 1n << 7n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  SEND_TTS_MESSAGES: 1n << 12n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  USE_EXTERNAL_EMOJIS: 1n << 18n,
  CONNECT: 1n << 20n,
  SPEAK: 1n << 21n,
  MUTE_MEMBERS: 1n << 22n,
  DEAFEN_MEMBERS: 1n << 23n,
  MOVE_MEMBERS: 1n << 24n,
  USE_VAD: 1n << 25n,
  CHANGE_NICKNAME: 1n << 26n,
  MANAGE_NICKNAMES: 1n << 27n,
  MANAGE_ROLES: 1n << 28n,
  MANAGE_WEBHOOKS: 1n << 29n,
  USE_APPLICATION_COMMANDS: 1n << 31n,
  MANAGE_THREADS: 1n << 34n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  CREATE_PRIVATE_THREADS: 1n << 36n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
  MODERATE_MEMBERS: 1n << 40n,
  PIN_MESSAGES: 1n << 51n,
} as const;

/** Every permission bit Discord currently defines. */
export const ALL_PERMISSIONS = (1n << 52n) - 1n;

/** What a new guild's @everyone role gets. */
export const DEFAULT_EVERYONE = Permissions.CREATE_INSTANT_INVITE | Permissions.ADD_REACTIONS |
  Permissions.VIEW_CHANNEL | Permissions.SEND_MESSAGES | Permissions.EMBED_LINKS |
  Permissions.ATTACH_FILES | Permissions.READ_MESSAGE_HISTORY |
  Permissions.USE_EXTERNAL_EMOJIS | Permissions.CONNECT | Permissions.SPEAK |
  Permissions.USE_VAD | Permissions.CHANGE_NICKNAME | Permissions.USE_APPLICATION_COMMANDS |
  Permissions.CREATE_PUBLIC_THREADS | Permissions.SEND_MESSAGES_IN_THREADS;

/** The guild-level facts permission computation needs. */
export interface PermissionSubject {
  guildId: string;
  ownerId: string;
  userId: string;
  roles: ApiRole[];
  memberRoleIds: string[];
  /** Members in timeout keep only VIEW_CHANNEL and READ_MESSAGE_HISTORY. */
  timedOut: boolean;
}

/** Guild-wide permissions ("base permissions" in Discord's docs). */
export function basePermissions(s: PermissionSubject): bigint {
  if (s.userId === s.ownerId) return ALL_PERMISSIONS;
  const everyone = s.roles.find((r) => r.id === s.guildId);
  let perms = everyone ? BigInt(everyone.permissions) : 0n;
  for (const role of s.roles) {
    if (s.memberRoleIds.includes(role.id)) perms |= BigInt(role.permissions);
  }
  if (perms & Permissions.ADMINISTRATOR) return ALL_PERMISSIONS;
  if (s.timedOut) perms &= Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY;
  return perms;
}

/** Permissions in a channel: base, then @everyone, role and member overwrites. */
export function channelPermissions(s: PermissionSubject, overwrites: ApiOverwrite[]): bigint {
  let perms = basePermissions(s);
  if (perms & Permissions.ADMINISTRATOR) return ALL_PERMISSIONS;
  const everyone = overwrites.find((o) => o.id === s.guildId);
  if (everyone) perms = (perms & ~BigInt(everyone.deny)) | BigInt(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === 0 && s.memberRoleIds.includes(o.id)) {
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
  }
  perms = (perms & ~deny) | allow;
  const member = overwrites.find((o) => o.type === 1 && o.id === s.userId);
  if (member) perms = (perms & ~BigInt(member.deny)) | BigInt(member.allow);
  // Without VIEW_CHANNEL no other channel permission applies.
  if (!(perms & Permissions.VIEW_CHANNEL)) return 0n;
  if (s.timedOut) perms &= Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY;
  return perms;
}

/** The highest position among a member's roles (the @everyone role is 0). */
export function highestRolePosition(roles: ApiRole[], memberRoleIds: string[]): number {
  let top = 0;
  for (const role of roles) {
    if (memberRoleIds.includes(role.id) && role.position > top) top = role.position;
  }
  return top;
}
