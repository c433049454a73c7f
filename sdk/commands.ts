/**
 * `slash()`, `subcommand()`, `prefix()`, `userCommand()` and
 * `messageCommand()`: define commands (checked when defined, so a mistake
 * fails the deploy with a clear message), and their registration shape.
 *
 * @module
 */

import type {
  CommandDefinition,
  CommandOptionDefinition,
} from "../runtime/sandbox/protocol/declarations.ts";
import {
  type ContextMenuCommand,
  type MessageCommandDefinition,
  OptionType,
  type PrefixArg,
  type PrefixCommand,
  type PrefixDefinition,
  type SlashCommand,
  type SlashDefinition,
  type SlashOption,
  type Subcommand,
  type SubcommandDefinition,
  type UserCommandDefinition,
} from "./types.ts";

const NAME = /^[-_\p{L}\p{N}]{1,32}$/u;
const OPTION_TYPES: number[] = Object.values(OptionType);
const PREFIX_ARG_TYPES = [
  "string",
  "number",
  "integer",
  "boolean",
  "user",
  "channel",
  "role",
  "rest",
];

function checkName(kind: string, name: unknown): string {
  if (typeof name !== "string" || !NAME.test(name) || name !== name.toLowerCase()) {
    throw new TypeError(
      `${kind} name ${JSON.stringify(name)} is invalid: use 1-32 lowercase letters, digits, - or _`,
    );
  }
  return name;
}

function checkDescription(kind: string, name: string, description: unknown): void {
  if (typeof description !== "string" || description.length < 1 || description.length > 100) {
    throw new TypeError(`${kind} "${name}" needs a description of 1-100 characters`);
  }
}

function checkPermissions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "string" || !/^\d+$/.test(value))) {
    throw new TypeError(
      `command "${name}": defaultMemberPermissions must be permission bits as a decimal string`,
    );
  }
}

function checkOptions(
  owner: string,
  options: readonly SlashOption[] | undefined,
  autocomplete: Record<string, unknown> | undefined,
): void {
  for (const [name, handler] of Object.entries(autocomplete ?? {})) {
    const option = options?.find((o) => o.name === name);
    if (!option?.autocomplete) {
      throw new TypeError(
        `"${owner}" has an autocomplete handler for "${name}", which is not an option with autocomplete: true`,
      );
    }
    if (typeof handler !== "function") {
      throw new TypeError(`"${owner}": the autocomplete handler of "${name}" must be a function`);
    }
  }
  const seen = new Set<string>();
  let optionalSeen = false;
  for (const option of options ?? []) {
    checkName(`option of "${owner}":`, option?.name);
    checkDescription("option", option.name, option.description);
    if (!OPTION_TYPES.includes(option.type)) {
      throw new TypeError(`option "${option.name}" has an unknown type; use OptionType.*`);
    }
    if (seen.has(option.name)) throw new TypeError(`option "${option.name}" is defined twice`);
    seen.add(option.name);
    if (option.required && optionalSeen) {
      throw new TypeError(
        `option "${option.name}" of "${owner}" is required but follows an optional one; Discord needs required options first`,
      );
    }
    if (!option.required) optionalSeen = true;
    if (option.choices && option.choices.length > 25) {
      throw new TypeError(`option "${option.name}" has more than 25 choices`);
    }
    if (option.autocomplete) {
      if (typeof autocomplete?.[option.name] !== "function") {
        throw new TypeError(
          `option "${option.name}" of "${owner}" has autocomplete: true but no handler in autocomplete.${option.name}`,
        );
      }
      if (option.choices) {
        throw new TypeError(`option "${option.name}" cannot have both choices and autocomplete`);
      }
    }
  }
  if (seen.size > 25) throw new TypeError(`"${owner}" has more than 25 options`);
}

/**
 * Defines a slash command; `ctx.options` is typed from `options`.
 *
 * @example
 * ```ts
 * const echo = slash({
 *   name: "echo",
 *   description: "Say it back",
 *   options: [{ name: "text", description: "What", type: OptionType.String, required: true }],
 *   run: (ctx) => ctx.reply(ctx.options.text),
 * });
 * ```
 */
export function slash<const O extends readonly SlashOption[] = readonly []>(
  definition: SlashDefinition<O>,
): SlashCommand<O> {
  const name = checkName("slash command", definition?.name);
  checkDescription("slash command", name, definition.description);
  checkPermissions(name, definition.defaultMemberPermissions);
  const nested = (definition.subcommands?.length ?? 0) + (definition.groups?.length ?? 0);
  if (nested > 0) {
    if (definition.run || definition.options?.length) {
      throw new TypeError(
        `slash command "${name}" has subcommands, so it cannot have its own run() or options`,
      );
    }
    if (nested > 25) throw new TypeError(`slash command "${name}" has more than 25 subcommands`);
    const names = new Set<string>();
    for (const sub of definition.subcommands ?? []) {
      if (sub?.kind !== "subcommand") {
        throw new TypeError(`subcommands of "${name}" must be made with subcommand()`);
      }
      if (names.has(sub.name)) throw new TypeError(`"${name} ${sub.name}" is defined twice`);
      names.add(sub.name);
    }
    for (const group of definition.groups ?? []) {
      checkName("subcommand group", group?.name);
      checkDescription("subcommand group", group.name, group.description);
      if (names.has(group.name)) throw new TypeError(`"${name} ${group.name}" is defined twice`);
      names.add(group.name);
      if (!group.subcommands?.length) {
        throw new TypeError(`subcommand group "${name} ${group.name}" has no subcommands`);
      }
      for (const sub of group.subcommands) {
        if (sub?.kind !== "subcommand") {
          throw new TypeError(`subcommands of "${name} ${group.name}" must use subcommand()`);
        }
      }
    }
  } else if (typeof definition.run !== "function") {
    throw new TypeError(`slash command "${name}" needs a run(ctx) function`);
  }
  checkOptions(name, definition.options, definition.autocomplete);
  return Object.freeze({ ...definition, kind: "slash" as const });
}

/**
 * Defines a subcommand, for `slash({ subcommands })` or a group.
 *
 * @example
 * ```ts
 * const add = subcommand({ name: "add", description: "Add a tag", run: (ctx) => ctx.reply("ok") });
 * const tag = slash({ name: "tag", description: "Tags", subcommands: [add] });
 * ```
 */
export function subcommand<const O extends readonly SlashOption[] = readonly []>(
  definition: SubcommandDefinition<O>,
): Subcommand<O> {
  const name = checkName("subcommand", definition?.name);
  checkDescription("subcommand", name, definition.description);
  if (typeof definition.run !== "function") {
    throw new TypeError(`subcommand "${name}" needs a run(ctx) function`);
  }
  checkOptions(name, definition.options, definition.autocomplete);
  return Object.freeze({ ...definition, kind: "subcommand" as const });
}

function checkPrefixArgs(name: string, args: readonly PrefixArg[] | undefined): void {
  let optionalSeen = false;
  (args ?? []).forEach((arg, i, all) => {
    if (typeof arg?.name !== "string" || !arg.name) {
      throw new TypeError(`argument ${i + 1} of prefix command "${name}" needs a name`);
    }
    if (!PREFIX_ARG_TYPES.includes(arg.type)) {
      throw new TypeError(
        `argument "${arg.name}" of "${name}" has type ${JSON.stringify(arg.type)}; use one of ${
          PREFIX_ARG_TYPES.join(", ")
        }`,
      );
    }
    if (arg.type === "rest" && i !== all.length - 1) {
      throw new TypeError(`argument "${arg.name}" of "${name}": "rest" must be the last argument`);
    }
    const required = arg.required !== false;
    if (required && optionalSeen) {
      throw new TypeError(`argument "${arg.name}" of "${name}" is required after an optional one`);
    }
    if (!required) optionalSeen = true;
  });
}

/**
 * Defines a prefix command, answered when a message starts with the bot's
 * prefix followed by the name or an alias. Declared `args` are parsed and
 * typed; a message that does not fit them gets a usage reply.
 *
 * @example
 * ```ts
 * const say = prefix({
 *   name: "say",
 *   args: [{ name: "times", type: "integer" }, { name: "text", type: "rest" }],
 *   run: (ctx) => ctx.reply(ctx.args.text.repeat(ctx.args.times)),
 * });
 * ```
 */
export function prefix<const A extends readonly PrefixArg[] = readonly []>(
  definition: PrefixDefinition<A>,
): PrefixCommand {
  const name = checkName("prefix command", definition?.name);
  for (const alias of definition.aliases ?? []) checkName("alias", alias);
  if (typeof definition.run !== "function") {
    throw new TypeError(`prefix command "${name}" needs a run(ctx) function`);
  }
  checkPrefixArgs(name, definition.args);
  return Object.freeze({ ...definition, kind: "prefix" as const }) as unknown as PrefixCommand;
}

function contextMenu(
  kind: "user" | "message",
  definition: UserCommandDefinition | MessageCommandDefinition,
): ContextMenuCommand {
  const name = definition?.name;
  if (typeof name !== "string" || name.length < 1 || name.length > 32) {
    throw new TypeError(`${kind} command name ${JSON.stringify(name)} must be 1-32 characters`);
  }
  checkPermissions(name, definition.defaultMemberPermissions);
  if (typeof definition.run !== "function") {
    throw new TypeError(`${kind} command "${name}" needs a run(ctx) function`);
  }
  return Object.freeze({ ...definition, kind }) as ContextMenuCommand;
}

/**
 * Defines a user context-menu command (right-click a member → Apps).
 *
 * @example
 * ```ts
 * const whois = userCommand({ name: "Who is this", run: (ctx) => ctx.reply(ctx.target.username) });
 * ```
 */
export function userCommand(definition: UserCommandDefinition): ContextMenuCommand {
  return contextMenu("user", definition);
}

/**
 * Defines a message context-menu command (right-click a message → Apps).
 *
 * @example
 * ```ts
 * const quote = messageCommand({ name: "Quote", run: (ctx) => ctx.reply(`> ${ctx.target.content}`) });
 * ```
 */
export function messageCommand(definition: MessageCommandDefinition): ContextMenuCommand {
  return contextMenu("message", definition);
}

function toOption(option: SlashOption): CommandOptionDefinition {
  const out: CommandOptionDefinition = {
    type: option.type,
    name: option.name,
    description: option.description,
  };
  if (option.required !== undefined) out.required = option.required;
  if (option.choices) out.choices = option.choices.map((c) => ({ name: c.name, value: c.value }));
  if (option.minValue !== undefined) out.min_value = option.minValue;
  if (option.maxValue !== undefined) out.max_value = option.maxValue;
  if (option.minLength !== undefined) out.min_length = option.minLength;
  if (option.maxLength !== undefined) out.max_length = option.maxLength;
  if (option.channelTypes) out.channel_types = [...option.channelTypes];
  if (option.autocomplete) out.autocomplete = true;
  return out;
}

function toSubcommandOption(sub: Subcommand): CommandOptionDefinition {
  const out: CommandOptionDefinition = { type: 1, name: sub.name, description: sub.description };
  if (sub.options?.length) out.options = sub.options.map(toOption);
  return out;
}

/** The registration body Discord expects for a slash command. */
export function toCommandDefinition(command: SlashCommand): CommandDefinition {
  const out: CommandDefinition = {
    name: command.name,
    description: command.description,
    type: 1,
  };
  const options = [
    ...(command.options ?? []).map(toOption),
    ...(command.subcommands ?? []).map(toSubcommandOption),
    ...(command.groups ?? []).map((group): CommandOptionDefinition => ({
      type: 2,
      name: group.name,
      description: group.description,
      options: group.subcommands.map(toSubcommandOption),
    })),
  ];
  if (options.length) out.options = options;
  if (command.defaultMemberPermissions !== undefined) {
    out.default_member_permissions = command.defaultMemberPermissions;
  }
  return out;
}

/** The registration body of a context-menu command (type 2 user, 3 message; no description). */
export function toContextMenuDefinition(command: ContextMenuCommand): CommandDefinition {
  const out: CommandDefinition = {
    name: command.name,
    description: "",
    type: command.kind === "user" ? 2 : 3,
  };
  if (command.defaultMemberPermissions !== undefined) {
    out.default_member_permissions = command.defaultMemberPermissions;
  }
  return out;
}
