/**
 * Who may post what where: channel permissions (50001 / 50013), the extra
 * permissions uploads and embeds need, and slowmode.
 *
 * @module
 */

import type { UploadedFile } from "./body.ts";
import { DiscordError, ErrorCodes, missingPermissions } from "./errors.ts";
import { Permissions } from "./permissions.ts";
import type { EmulatorState } from "./state.ts";

/** Uploads need ATTACH_FILES and embeds EMBED_LINKS in guild channels (50013). */
export function requireContentPermissions(
  state: EmulatorState,
  channelId: string,
  userId: string,
  body: Record<string, unknown>,
  files: UploadedFile[],
): void {
  if (files.length > 0) {
    requireChannelPermissions(state, channelId, userId, Permissions.ATTACH_FILES);
  }
  if (Array.isArray(body.embeds) && body.embeds.length > 0) {
    requireChannelPermissions(state, channelId, userId, Permissions.EMBED_LINKS);
  }
}

/** Slowmode: members without MANAGE_MESSAGES/MANAGE_CHANNELS wait rate_limit_per_user seconds. */
export function checkSlowmode(state: EmulatorState, channelId: string, authorId: string): void {
  const record = state.channel(channelId);
  const seconds = record.channel.rate_limit_per_user ?? 0;
  const guildId = record.channel.guild_id;
  if (seconds <= 0 || !guildId) return;
  const perms = state.permissions(guildId, authorId, channelId);
  if (perms & (Permissions.MANAGE_MESSAGES | Permissions.MANAGE_CHANNELS)) return;
  const last = record.lastPostAt?.get(authorId);
  const wait = last === undefined ? 0 : last + seconds * 1000 - Date.now();
  if (wait > 0) {
    const error = new DiscordError(429, {
      code: 20016,
      message: "This action cannot be performed due to slowmode rate limit.",
    });
    error.body.retry_after = Number((wait / 1000).toFixed(3));
    error.body.global = false;
    error.headers = { "retry-after": String(Math.ceil(wait / 1000)) };
    throw error;
  }
}

/** Checks `needed` permissions of `userId` in a guild channel: 50001 without VIEW_CHANNEL, else 50013. */
export function requireChannelPermissions(
  state: EmulatorState,
  channelId: string,
  userId: string,
  needed: bigint,
): void {
  const channel = state.channel(channelId).channel;
  if (!channel.guild_id) return;
  const perms = state.permissions(channel.guild_id, userId, channelId);
  if (!(perms & Permissions.VIEW_CHANNEL)) throw new DiscordError(403, ErrorCodes.MissingAccess);
  if ((perms & needed) !== needed) throw missingPermissions();
}
