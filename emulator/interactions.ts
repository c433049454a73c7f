/**
 * Creating interactions the way Discord does when a user runs a slash
 * command or clicks a component: only registered commands can be invoked,
 * options are checked against the command's schema, and INTERACTION_CREATE
 * goes to the guild's shard.
 *
 * @module
 */

import { cloneJson } from "./clone.ts";
import { DiscordError, ErrorCodes, invalidField, notFound } from "./errors.ts";
import { ATTACHMENT_SIZE_LIMIT } from "./message_validation.ts";
import { Permissions } from "./permissions.ts";
import type { EmulatorState } from "./state.ts";
import type { InteractionRecord } from "./state_records.ts";
import type {
  ApiApplicationCommand,
  ApiCommandOption,
  ApiInteraction,
  ApiInteractionData,
  ApiInteractionOption,
  ApiResolvedData,
} from "./types.ts";

/** Interaction types. */
export const InteractionTypes = {
  PING: 1,
  APPLICATION_COMMAND: 2,
  MESSAGE_COMPONENT: 3,
  APPLICATION_COMMAND_AUTOCOMPLETE: 4,
  MODAL_SUBMIT: 5,
} as const;

export interface SlashInput {
  guildId: string;
  channelId: string;
  userId: string;
  name: string;
  options?: ApiInteractionOption[];
}

/** A user runs a registered user (type 2) or message (type 3) context-menu command. */
export interface ContextMenuInput {
  guildId: string;
  channelId: string;
  userId: string;
  /** The registered command's id (guild or global). */
  commandId: string;
  /** The user (type 2) or message in `channelId` (type 3) the menu was opened on. */
  targetId: string;
}

export interface ComponentInput {
  channelId: string;
  messageId: string;
  userId: string;
  customId: string;
  componentType?: number;
  values?: string[];
}

/** Finds a chat-input command registered for the guild (guild commands shadow global ones). */
export function findCommand(
  state: EmulatorState,
  guildId: string,
  name: string,
): ApiApplicationCommand | undefined {
  const match = (c: ApiApplicationCommand) => c.name === name && c.type === 1;
  return state.commands.get(guildId)?.find(match) ?? state.commands.get("global")?.find(match);
}

/**
 * Discord's client only offers commands a member may use: they must see the
 * channel and may use application commands there, and hold the command's
 * `default_member_permissions` (administrators always may).
 */
function requireUsable(
  state: EmulatorState,
  command: ApiApplicationCommand,
  input: { guildId: string; channelId: string; userId: string },
): void {
  const perms = state.permissions(input.guildId, input.userId, input.channelId);
  if (!(perms & Permissions.VIEW_CHANNEL)) throw new DiscordError(403, ErrorCodes.MissingAccess);
  if (!(perms & Permissions.USE_APPLICATION_COMMANDS)) {
    throw new DiscordError(403, ErrorCodes.MissingPermissions);
  }
  const required = command.default_member_permissions;
  if (required === null || perms & Permissions.ADMINISTRATOR) return;
  // "0" means administrators only.
  const bits = BigInt(required);
  if (bits === 0n || (perms & bits) !== bits) {
    throw new DiscordError(403, ErrorCodes.MissingPermissions);
  }
}

/** Checks the given options against the command's declared options. */
function checkOptions(
  declared: ApiCommandOption[] | undefined,
  given: ApiInteractionOption[],
  path: (string | number)[],
): void {
  const known = declared ?? [];
  given.forEach((option, i) => {
    const spec = known.find((o) => o.name === option.name);
    if (!spec) {
      throw invalidField(
        [...path, i, "name"],
        "UNKNOWN_OPTION",
        `Unknown option "${option.name}".`,
      );
    }
    if (spec.type !== option.type) {
      throw invalidField(
        [...path, i, "type"],
        "OPTION_TYPE_MISMATCH",
        `Option "${option.name}" has type ${spec.type}.`,
      );
    }
    if (option.options) checkOptions(spec.options, option.options, [...path, i, "options"]);
  });
  const isGroup = known.some((o) => o.type === 1 || o.type === 2);
  if (!isGroup) {
    for (const spec of known) {
      if (spec.required && !given.some((o) => o.name === spec.name)) {
        throw invalidField(path, "REQUIRED_OPTION_MISSING", `Option "${spec.name}" is required.`);
      }
    }
  }
}

export function newRecord(state: EmulatorState, interaction: ApiInteraction): InteractionRecord {
  const record: InteractionRecord = {
    interaction,
    createdAt: Date.now(),
    responseType: null,
    originalMessageId: null,
    responses: [],
    followupIds: [],
  };
  state.interactions.set(interaction.id, record);
  state.interactionsByToken.set(interaction.token, interaction.id);
  return record;
}

/** The parts of an interaction that describe where and by whom it was invoked. */
export function invocation(
  state: EmulatorState,
  guildId: string,
  channelId: string,
  userId: string,
) {
  const guild = state.guild(guildId);
  const channel = state.channel(channelId).channel;
  if (channel.guild_id !== guildId) throw notFound(ErrorCodes.UnknownChannel);
  const member = state.member(guildId, userId);
  const apiMember = state.memberToApi(member);
  apiMember.permissions = state.permissions(guildId, userId, channelId).toString();
  const token = `aW50ZXJhY3Rpb246${crypto.randomUUID().replaceAll("-", "")}${
    crypto.randomUUID().replaceAll("-", "")
  }`;
  return {
    guild: { id: guildId, locale: guild.guild.preferred_locale, features: guild.guild.features },
    guild_id: guildId,
    channel: cloneJson(channel),
    channel_id: channelId,
    member: apiMember,
    token,
    version: 1 as const,
    app_permissions: state.permissions(guildId, state.botUser.id, channelId).toString(),
    locale: "en-US",
    guild_locale: guild.guild.preferred_locale,
    entitlements: [],
    authorizing_integration_owners: { "0": guildId },
    context: 0,
    attachment_size_limit: ATTACHMENT_SIZE_LIMIT,
  };
}

/**
 * The command `input` names, as a user in that channel may use it, with the
 * options given: what a slash command and its autocomplete both start from.
 */
function usableCommand(state: EmulatorState, input: SlashInput) {
  const guild = state.guild(input.guildId);
  if (!guild.members.has(state.botUser.id)) throw new DiscordError(403, ErrorCodes.MissingAccess);
  const command = findCommand(state, input.guildId, input.name);
  if (!command) throw notFound(ErrorCodes.UnknownApplicationCommand);
  requireUsable(state, command, input);
  return { command, options: input.options ?? [] };
}

/** A user runs `/name` in a guild channel; refuses unregistered commands (Discord never sends those). */
export function invokeSlash(state: EmulatorState, input: SlashInput): InteractionRecord {
  const { command, options } = usableCommand(state, input);
  checkOptions(command.options, options, ["options"]);
  const data: ApiInteractionData = {
    id: command.id,
    name: command.name,
    type: command.type,
  };
  if (command.guild_id) data.guild_id = command.guild_id;
  if (options.length) data.options = cloneJson(options);
  const resolved = resolveOptions(state, input, options);
  if (resolved) data.resolved = resolved;
  return dispatchCommand(state, input, data);
}

/** Application command types of context menus. */
const USER_COMMAND = 2;
const MESSAGE_COMMAND = 3;

/**
 * A user picks a context-menu command on a user or a message: Discord sends
 * the command's id, name and type, `target_id`, and the target in
 * `resolved` (the user and their member, or the message).
 */
export function invokeContextMenu(
  state: EmulatorState,
  input: ContextMenuInput,
): InteractionRecord {
  const guild = state.guild(input.guildId);
  if (!guild.members.has(state.botUser.id)) throw new DiscordError(403, ErrorCodes.MissingAccess);
  const command = [
    ...(state.commands.get(input.guildId) ?? []),
    ...(state.commands.get("global") ?? []),
  ].find((c) => c.id === input.commandId);
  if (!command) throw notFound(ErrorCodes.UnknownApplicationCommand);
  if (command.type !== USER_COMMAND && command.type !== MESSAGE_COMMAND) {
    throw invalidField(
      ["command_id"],
      "APPLICATION_COMMAND_TYPE_INVALID",
      `/${command.name} is a slash command; use invokeSlash for it.`,
    );
  }
  requireUsable(state, command, input);
  const resolved: ApiResolvedData = {};
  if (command.type === USER_COMMAND) {
    const target = state.users.get(input.targetId);
    if (!target) throw notFound(ErrorCodes.UnknownUser);
    resolved.users = { [target.id]: target };
    const member = resolvedMember(state, input.guildId, target.id, input.channelId);
    if (member) resolved.members = { [target.id]: member };
  } else {
    const target = state.message(input.channelId, input.targetId);
    resolved.messages = { [input.targetId]: state.messageToApi(target) };
  }
  const data: ApiInteractionData = {
    id: command.id,
    name: command.name,
    type: command.type,
    target_id: input.targetId,
    resolved,
  };
  if (command.guild_id) data.guild_id = command.guild_id;
  return dispatchCommand(state, input, data);
}

/** Records an application-command interaction and sends INTERACTION_CREATE. */
function dispatchCommand(
  state: EmulatorState,
  where: { guildId: string; channelId: string; userId: string },
  data: ApiInteractionData,
): InteractionRecord {
  const interaction: ApiInteraction = {
    id: state.ids.next(),
    application_id: state.application.id,
    type: InteractionTypes.APPLICATION_COMMAND,
    data,
    ...invocation(state, where.guildId, where.channelId, where.userId),
  };
  const record = newRecord(state, interaction);
  state.emit({ t: "INTERACTION_CREATE", d: interaction, guildId: where.guildId });
  return record;
}

/** A member as `resolved.members` carries it: no user (it is in `users`), no voice state. */
function resolvedMember(
  state: EmulatorState,
  guildId: string,
  userId: string,
  channelId: string,
): NonNullable<ApiResolvedData["members"]>[string] | undefined {
  const member = state.guilds.get(guildId)?.members.get(userId);
  if (!member) return undefined;
  const { user: _user, deaf: _deaf, mute: _mute, ...partial } = state.memberToApi(member);
  return { ...partial, permissions: state.permissions(guildId, userId, channelId).toString() };
}

/** A user clicks a button / picks from a select menu on one of the bot's messages. */
export function invokeComponent(state: EmulatorState, input: ComponentInput): InteractionRecord {
  const channel = state.channel(input.channelId).channel;
  const guildId = channel.guild_id;
  if (!guildId) throw new DiscordError(400, { code: 0, message: "Guild channels only." });
  const message = state.message(input.channelId, input.messageId);
  if (message.message.author.id !== state.botUser.id) {
    throw new DiscordError(400, {
      code: 0,
      message: "Only the bot's messages carry its components.",
    });
  }
  if (!hasCustomId(message.message.components, input.customId)) {
    throw invalidField(["custom_id"], "COMPONENT_NOT_FOUND", "No component with this custom_id.");
  }
  const data: ApiInteractionData = {
    custom_id: input.customId,
    component_type: input.componentType ?? 2,
  };
  if (input.values) data.values = [...input.values];
  const interaction: ApiInteraction = {
    id: state.ids.next(),
    application_id: state.application.id,
    type: InteractionTypes.MESSAGE_COMPONENT,
    data,
    message: state.messageToApi(message),
    ...invocation(state, guildId, input.channelId, input.userId),
  };
  const record = newRecord(state, interaction);
  state.emit({ t: "INTERACTION_CREATE", d: interaction, guildId });
  return record;
}

/** A user is typing an option with `autocomplete: true`; the focused option is marked `focused`. */
export function invokeAutocomplete(state: EmulatorState, input: SlashInput): InteractionRecord {
  const { command, options } = usableCommand(state, input);
  const focused = flatten(options).filter((o) => o.focused);
  if (focused.length !== 1) {
    throw invalidField(["options"], "AUTOCOMPLETE_FOCUS", "Exactly one option must be focused.");
  }
  const spec = flattenSpecs(command.options ?? []).find((o) => o.name === focused[0].name);
  if (!spec?.autocomplete) {
    throw invalidField(
      ["options"],
      "AUTOCOMPLETE_DISABLED",
      `Option "${focused[0].name}" does not have autocomplete.`,
    );
  }
  const interaction: ApiInteraction = {
    id: state.ids.next(),
    application_id: state.application.id,
    type: InteractionTypes.APPLICATION_COMMAND_AUTOCOMPLETE,
    data: {
      id: command.id,
      name: command.name,
      type: command.type,
      options: cloneJson(options),
      ...(command.guild_id ? { guild_id: command.guild_id } : {}),
    },
    ...invocation(state, input.guildId, input.channelId, input.userId),
  };
  const record = newRecord(state, interaction);
  state.emit({ t: "INTERACTION_CREATE", d: interaction, guildId: input.guildId });
  return record;
}

/** Option types whose values are snowflakes Discord resolves into `data.resolved`. */
const USER = 6, CHANNEL = 7, ROLE = 8, MENTIONABLE = 9;

/**
 * Builds `data.resolved` for user, channel, role and mentionable options, as
 * Discord does; an id that names nothing in the guild is refused (Discord's
 * client would never send it).
 */
function resolveOptions(
  state: EmulatorState,
  where: { guildId: string; channelId: string; userId: string },
  options: ApiInteractionOption[],
): ApiResolvedData | undefined {
  const { guildId, channelId } = where;
  const resolved: ApiResolvedData = {};
  const guild = state.guild(guildId);
  const addUser = (id: string) => {
    const user = state.users.get(id);
    if (!user) return false;
    (resolved.users ??= {})[id] = user;
    const member = resolvedMember(state, guildId, id, channelId);
    if (member) (resolved.members ??= {})[id] = member;
    return true;
  };
  const addRole = (id: string) => {
    const role = guild.roles.get(id);
    if (!role) return false;
    (resolved.roles ??= {})[id] = role;
    return true;
  };
  for (const option of flatten(options)) {
    if (![USER, CHANNEL, ROLE, MENTIONABLE].includes(option.type)) continue;
    const id = String(option.value);
    let ok = false;
    if (option.type === USER) ok = addUser(id);
    if (option.type === ROLE) ok = addRole(id);
    if (option.type === MENTIONABLE) ok = addUser(id) || addRole(id);
    if (option.type === CHANNEL) {
      const channel = state.channels.get(id)?.channel;
      if (channel?.guild_id === guildId) {
        (resolved.channels ??= {})[id] = {
          id,
          type: channel.type,
          name: channel.name,
          parent_id: channel.parent_id ?? null,
          // The invoking member's permissions in that channel.
          permissions: state.permissions(guildId, where.userId, id).toString(),
        };
        ok = true;
      }
    }
    if (!ok) {
      throw invalidField(
        ["options", option.name],
        "OPTION_VALUE_UNKNOWN",
        `Unknown ${option.name}.`,
      );
    }
  }
  return Object.keys(resolved).length ? resolved : undefined;
}

function flatten(options: ApiInteractionOption[]): ApiInteractionOption[] {
  return options.flatMap((o) => [o, ...flatten(o.options ?? [])]);
}

function flattenSpecs(options: ApiCommandOption[]): ApiCommandOption[] {
  return options.flatMap((o) => [o, ...flattenSpecs(o.options ?? [])]);
}

function hasCustomId(components: unknown, customId: string): boolean {
  if (Array.isArray(components)) return components.some((c) => hasCustomId(c, customId));
  if (typeof components !== "object" || components === null) return false;
  const record = components as Record<string, unknown>;
  if (record.custom_id === customId) return true;
  return hasCustomId(record.components, customId) || hasCustomId(record.accessory, customId);
}
