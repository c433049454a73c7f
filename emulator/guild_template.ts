/**
 * A new guild's defaults: the guild object Discord returns for a fresh guild,
 * and the permissions of its @everyone role and of the bot's managed role.
 *
 * @module
 */

import { DEFAULT_EVERYONE, Permissions } from "./permissions.ts";
import type { ApiGuild } from "./types.ts";

/** @everyone's permissions, as a role's `permissions` string. */
export const DEFAULT_EVERYONE_STR = DEFAULT_EVERYONE.toString();

/** The bot's managed role: what a typical moderation bot is invited with. */
export const BOT_ROLE_PERMISSIONS = Permissions.KICK_MEMBERS | Permissions.BAN_MEMBERS |
  Permissions.ADD_REACTIONS | Permissions.VIEW_CHANNEL | Permissions.SEND_MESSAGES |
  Permissions.MANAGE_MESSAGES | Permissions.EMBED_LINKS | Permissions.ATTACH_FILES |
  Permissions.READ_MESSAGE_HISTORY | Permissions.USE_EXTERNAL_EMOJIS | Permissions.MANAGE_ROLES |
  Permissions.MANAGE_THREADS | Permissions.CREATE_PUBLIC_THREADS |
  Permissions.SEND_MESSAGES_IN_THREADS | Permissions.MODERATE_MEMBERS | Permissions.PIN_MESSAGES |
  Permissions.VIEW_AUDIT_LOG;

/**
 * A fresh guild object (roles live beside it) with Discord's defaults: no features, no boosts.
 *
 * @example
 * ```ts
 * const guild = newGuild(ids.next(), "flora test", ownerId);
 * ```
 */
export function newGuild(id: string, name: string, ownerId: string): Omit<ApiGuild, "roles"> {
  return {
    id,
    name,
    icon: null,
    icon_hash: null,
    splash: null,
    discovery_splash: null,
    owner_id: ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    emojis: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    max_presences: null,
    max_members: 500000,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: "en-US",
    public_updates_channel_id: null,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    nsfw_level: 0,
    stickers: [],
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    region: "deprecated",
    nsfw: false,
    home_header: null,
    incidents_data: null,
  };
}
