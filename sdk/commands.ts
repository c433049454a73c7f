/**
 * `slash()` and `prefix()`: define commands, and the conversion of slash
 * definitions to Discord's registration shape.
 *
 * @module
 */

import type { CommandDefinition, CommandOptionDefinition } from "../runtime/sandbox/protocol.ts";
import type {
  PrefixCommand,
  PrefixDefinition,
  SlashCommand,
  SlashDefinition,
  SlashOption,
} from "./types.ts";

const NAME = /^[-_\p{L}\p{N}]{1,32}$/u;

function checkName(kind: string, name: unknown): string {
  if (typeof name !== "string" || !NAME.test(name) || name !== name.toLowerCase()) {
    throw new TypeError(
      `${kind} name ${JSON.stringify(name)} is invalid: use 1-32 lowercase letters, digits, - or _`,
    );
  }
  return name;
}

/**
 * Defines a slash command.
 *
 * @example
 * ```ts
 * const ping = slash({ name: "ping", description: "Pong!", run: (ctx) => ctx.reply("pong!") });
 * ```
 */
export function slash(definition: SlashDefinition): SlashCommand {
  checkName("slash command", definition?.name);
  if (
    typeof definition.description !== "string" || definition.description.length < 1 ||
    definition.description.length > 100
  ) {
    throw new TypeError(
      `slash command "${definition.name}" needs a description of 1-100 characters`,
    );
  }
  if (typeof definition.run !== "function") {
    throw new TypeError(`slash command "${definition.name}" needs a run(ctx) function`);
  }
  for (const option of definition.options ?? []) checkName("option", option.name);
  return Object.freeze({ ...definition, kind: "slash" as const });
}

/**
 * Defines a prefix command, answered when a message starts with the bot's
 * prefix followed by the name or an alias.
 *
 * @example
 * ```ts
 * const ping = prefix({ name: "ping", run: (ctx) => ctx.reply("pong!") });
 * ```
 */
export function prefix(definition: PrefixDefinition): PrefixCommand {
  checkName("prefix command", definition?.name);
  for (const alias of definition.aliases ?? []) checkName("alias", alias);
  if (typeof definition.run !== "function") {
    throw new TypeError(`prefix command "${definition.name}" needs a run(ctx) function`);
  }
  return Object.freeze({ ...definition, kind: "prefix" as const });
}

function toOption(option: SlashOption): CommandOptionDefinition {
  const out: CommandOptionDefinition = {
    type: option.type,
    name: option.name,
    description: option.description,
  };
  if (option.required !== undefined) out.required = option.required;
  if (option.choices) out.choices = option.choices;
  if (option.minValue !== undefined) out.min_value = option.minValue;
  if (option.maxValue !== undefined) out.max_value = option.maxValue;
  if (option.minLength !== undefined) out.min_length = option.minLength;
  if (option.maxLength !== undefined) out.max_length = option.maxLength;
  return out;
}

/** The registration body Discord expects for a slash command. */
export function toCommandDefinition(command: SlashCommand): CommandDefinition {
  const out: CommandDefinition = {
    name: command.name,
    description: command.description,
    type: 1,
  };
  if (command.options?.length) out.options = command.options.map(toOption);
  if (command.defaultMemberPermissions !== undefined) {
    out.default_member_permissions = command.defaultMemberPermissions;
  }
  return out;
}
