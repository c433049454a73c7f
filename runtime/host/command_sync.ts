/**
 * Registers a guild's application commands only when they differ from what
 * Discord already has, so a redeploy that keeps its commands makes no
 * bulk-overwrite call (Discord rate-limits command creation per day).
 *
 * @module
 */

import type { CommandDefinition, CommandOptionDefinition } from "../sandbox/protocol/mod.ts";
import type { DiscordRequest } from "./operations/discord_request.ts";

type Canonical = Record<string, unknown>;

function canonicalOption(o: CommandOptionDefinition): Canonical {
  const nested = o.type === 1 || o.type === 2;
  return {
    type: o.type,
    name: o.name,
    description: o.description,
    required: nested ? undefined : o.required === true,
    choices: o.choices?.length
      ? o.choices.map((c) => ({ name: c.name, value: c.value }))
      : undefined,
    options: o.options?.length ? o.options.map(canonicalOption) : undefined,
    min_value: o.min_value,
    max_value: o.max_value,
    min_length: o.min_length,
    max_length: o.max_length,
    autocomplete: o.autocomplete === true,
    channel_types: o.channel_types?.length ? [...o.channel_types].sort() : undefined,
  };
}

function canonical(c: CommandDefinition): Canonical {
  return {
    type: c.type ?? 1,
    name: c.name,
    description: c.type === 1 || c.type === undefined ? c.description : "",
    options: c.options?.length ? c.options.map(canonicalOption) : undefined,
    default_member_permissions: c.default_member_permissions ?? null,
  };
}

/** A stable text for a command list: same commands, same text, whatever the order. */
export function commandsFingerprint(commands: CommandDefinition[]): string {
  return JSON.stringify(
    commands.map(canonical).sort((a, b) =>
      `${a.type}:${a.name}`.localeCompare(`${b.type}:${b.name}`)
    ),
  );
}

/**
 * Overwrites the guild's commands unless Discord already has exactly these.
 * Resolves true when it registered, false when it skipped.
 *
 * @example
 * ```ts
 * const changed = await syncGuildCommands(request, appId, guildId, commands);
 * ```
 */
export async function syncGuildCommands(
  request: DiscordRequest,
  applicationId: string,
  guildId: string,
  commands: CommandDefinition[],
): Promise<boolean> {
  const route = `/applications/${applicationId}/guilds/${guildId}/commands`;
  const existing = await request("GET", route) as CommandDefinition[];
  if (
    Array.isArray(existing) && commandsFingerprint(existing) === commandsFingerprint(commands)
  ) {
    return false;
  }
  // Discord's spec takes the permission bits as an integer (it answers with a string).
  const body = commands.map((c) =>
    typeof c.default_member_permissions === "string"
      ? { ...c, default_member_permissions: Number(c.default_member_permissions) }
      : c
  );
  await request("PUT", route, { body });
  return true;
}
