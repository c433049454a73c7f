/**
 * Channel permission overwrites: reading them from a request body, checking
 * the bot may grant them, and the endpoints that set or delete one (the
 * control API sets them too, through {@linkcode setOverwrite}).
 *
 * @module
 */

import type { Hono } from "hono";
import { isRecord, objectBody } from "../body.ts";
import { invalidField, missingPermissions, wrongChannelType } from "../errors.ts";
import { requireChannelPermissions } from "../message_access.ts";
import { Permissions } from "../permissions.ts";
import { isSnowflake } from "../snowflake.ts";
import type { EmulatorState } from "../state.ts";
import { Intents, isThread } from "../state_records.ts";
import type { ApiChannel, ApiOverwrite } from "../types.ts";
import { noContent, type RestContext, route } from "./router.ts";

/** Sets (or removes, with `overwrite` null) one overwrite and dispatches CHANNEL_UPDATE. */
export function setOverwrite(
  state: EmulatorState,
  channelId: string,
  id: string,
  overwrite: Omit<ApiOverwrite, "id"> | null,
): ApiChannel {
  const channel = state.channel(channelId).channel;
  if (!channel.guild_id || isThread(channel.type)) throw wrongChannelType();
  const rest = (channel.permission_overwrites ?? []).filter((o) => o.id !== id);
  channel.permission_overwrites = overwrite ? [...rest, { id, ...overwrite }] : rest;
  state.emit({
    t: "CHANNEL_UPDATE",
    d: channel,
    guildId: channel.guild_id,
    intent: Intents.GUILDS,
  });
  return channel;
}

/** Discord: overwrites may only allow or deny permissions the bot holds (`held`). */
export function requireOverwritesGrantable(
  held: bigint,
  overwrites: Pick<ApiOverwrite, "allow" | "deny">[],
): void {
  for (const o of overwrites) {
    if (((BigInt(o.allow) | BigInt(o.deny)) & ~held) !== 0n) throw missingPermissions();
  }
}

/** `permission_overwrites` from a request body (undefined when absent). */
export function parseOverwrites(value: unknown): ApiOverwrite[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    throw invalidField(["permission_overwrites"], "BASE_TYPE_LIST", "Must be a list.");
  }
  return value.map((o: unknown, i) => {
    const entry = isRecord(o) ? o : {};
    const bits = (key: "allow" | "deny") => {
      const raw = String(entry[key] ?? "0");
      if (!/^\d{1,20}$/.test(raw)) {
        throw invalidField(
          ["permission_overwrites", i, key],
          "NUMBER_TYPE_COERCE",
          `Value "${raw}" is not int.`,
        );
      }
      return raw;
    };
    if (!isSnowflake(String(entry.id))) {
      throw invalidField(
        ["permission_overwrites", i, "id"],
        "NUMBER_TYPE_COERCE",
        "Not a snowflake.",
      );
    }
    return {
      id: String(entry.id),
      type: entry.type === 1 ? 1 as const : 0 as const,
      allow: bits("allow"),
      deny: bits("deny"),
    };
  });
}

/** `PUT` and `DELETE /channels/:channel_id/permissions/:overwrite_id`. */
export function registerOverwriteRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;
  const botId = () => state.botUser.id;

  route(app, ctx, "PUT", "/channels/:channel_id/permissions/:overwrite_id", ({ params, body }) => {
    const channel = state.channel(params.channel_id).channel;
    const input = objectBody(body.json);
    if (input.type !== 0 && input.type !== 1) {
      throw invalidField(["type"], "BASE_TYPE_CHOICES", "Value must be one of (0, 1).");
    }
    const allow = BigInt(typeof input.allow === "string" ? input.allow : "0");
    const deny = BigInt(typeof input.deny === "string" ? input.deny : "0");
    if (!channel.guild_id) throw wrongChannelType();
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_ROLES);
    // A bot can only allow or deny permissions it holds itself (unless administrator).
    requireOverwritesGrantable(
      state.permissions(channel.guild_id, botId(), params.channel_id),
      [{ allow: String(allow), deny: String(deny) }],
    );
    setOverwrite(state, params.channel_id, params.overwrite_id, {
      type: input.type,
      allow: allow.toString(),
      deny: deny.toString(),
    });
    return noContent();
  });

  route(app, ctx, "DELETE", "/channels/:channel_id/permissions/:overwrite_id", ({ params }) => {
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_ROLES);
    setOverwrite(state, params.channel_id, params.overwrite_id, null);
    return noContent();
  });
}
