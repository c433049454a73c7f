/**
 * `createBot()` and `on()`: what a script registers, and how an incoming
 * event reaches the matching command, component, modal, cron job or
 * handlers.
 *
 * @module
 */

import type { CommandDefinition } from "../runtime/sandbox/protocol/declarations.ts";
import { SCRIPT_EVENT_NAMES, type ScriptEventName } from "../runtime/sandbox/protocol/events.ts";
import { parseArgs } from "./args.ts";
import { call } from "./bridge.ts";
import { toCommandDefinition, toContextMenuDefinition } from "./commands.ts";
import { prefixContext } from "./contexts.ts";
import { runCron } from "./cron.ts";
import { runTask } from "./tasks.ts";
import {
  answerAutocomplete,
  autocompleteContext,
  commandPath,
  componentContext,
  messageCommandContext,
  modalContext,
  slashContext,
  userCommandContext,
} from "./interaction_context.ts";
import { parsePrefixArgs, usage, UsageError } from "./prefix_args.ts";
import { componentRoutes, modalRoutes } from "./routing.ts";
import type {
  AutocompleteHandler,
  BotOptions,
  ContextMenuCommand,
  CronContext,
  EventMap,
  Interaction,
  Message,
  PrefixCommand,
  SlashCommand,
  Subcommand,
  TaskInfo,
} from "./types.ts";

/** Discord interaction types. */
const InteractionType = { Command: 2, Component: 3, Autocomplete: 4, ModalSubmit: 5 } as const;

type Handler = (payload: never) => unknown;

let created = false;
let commandPrefix = "!";
const slashCommands = new Map<string, SlashCommand>();
const contextMenus = new Map<string, ContextMenuCommand>();
const prefixCommands = new Map<string, PrefixCommand>();
const handlers = new Map<ScriptEventName, Handler[]>();

/**
 * Declares the bot's commands. Call once, at the top level of the script.
 *
 * @example
 * ```ts
 * createBot({ slashCommands: [ping], prefixCommands: [pingPrefix], prefix: "?" });
 * ```
 */
export function createBot(options: BotOptions = {}): void {
  if (created) throw new Error("createBot() may be called only once per script");
  created = true;
  if (options.prefix !== undefined) {
    if (
      typeof options.prefix !== "string" || options.prefix.length < 1 || options.prefix.length > 16
    ) {
      throw new TypeError("prefix must be a string of 1-16 characters");
    }
    commandPrefix = options.prefix;
  }
  for (const command of options.slashCommands ?? []) {
    if (command?.kind !== "slash") {
      throw new TypeError("slashCommands takes commands made with slash()");
    }
    if (slashCommands.has(command.name)) {
      throw new Error(`slash command "${command.name}" is defined twice`);
    }
    slashCommands.set(command.name, command as SlashCommand);
  }
  for (const command of options.contextMenus ?? []) {
    if (command?.kind !== "user" && command?.kind !== "message") {
      throw new TypeError(
        "contextMenus takes commands made with userCommand() or messageCommand()",
      );
    }
    const key = `${command.kind}:${command.name}`;
    if (contextMenus.has(key)) {
      throw new Error(`${command.kind} command "${command.name}" is defined twice`);
    }
    contextMenus.set(key, command);
  }
  if (slashCommands.size + contextMenus.size > 100) {
    throw new Error("Discord allows at most 100 commands per guild");
  }
  for (const command of options.prefixCommands ?? []) {
    if (command?.kind !== "prefix") {
      throw new TypeError("prefixCommands takes commands made with prefix()");
    }
    for (const name of [command.name, ...(command.aliases ?? [])]) {
      if (prefixCommands.has(name)) {
        throw new Error(`prefix command or alias "${name}" is defined twice`);
      }
      prefixCommands.set(name, command);
    }
  }
}

/**
 * Subscribes to a gateway event of this guild.
 *
 * @example
 * ```ts
 * on("messageCreate", (message) => console.log(message.content));
 * ```
 */
export function on<E extends keyof EventMap>(
  event: E,
  handler: (payload: EventMap[E]) => unknown,
): void {
  if (!(SCRIPT_EVENT_NAMES as readonly string[]).includes(event)) {
    throw new TypeError(
      `unknown event "${event}"; events are: ${SCRIPT_EVENT_NAMES.join(", ")}`,
    );
  }
  if (typeof handler !== "function") throw new TypeError(`on("${event}") needs a handler function`);
  const list = handlers.get(event) ?? [];
  list.push(handler as Handler);
  handlers.set(event, list);
}

/** The commands to register with Discord for the guild. */
export function registeredCommands(): CommandDefinition[] {
  return [
    ...[...slashCommands.values()].map(toCommandDefinition),
    ...[...contextMenus.values()].map(toContextMenuDefinition),
  ];
}

async function runPrefixCommand(message: Message): Promise<void> {
  if (message.author?.bot || !message.content?.startsWith(commandPrefix)) return;
  const text = message.content.slice(commandPrefix.length);
  const [name, ...argv] = parseArgs(text);
  const command = name === undefined ? undefined : prefixCommands.get(name);
  if (!command) return;
  const reply = (content: string) =>
    call("message.send", {
      channelId: message.channel_id,
      data: {
        content,
        message_reference: { message_id: message.id, fail_if_not_exists: false },
        allowed_mentions: { parse: [] },
      },
    });
  let args: unknown = argv;
  if (command.args?.length) {
    const rawRest = text.trimStart().slice(name.length);
    try {
      args = parsePrefixArgs(command.args, argv, rawRest);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      await reply(`${error.message}\nUsage: \`${usage(commandPrefix, name, command.args)}\``);
      return;
    }
  }
  await command.run(prefixContext(message, argv, args as never));
}

function findSubcommand(command: SlashCommand, path: string[]): Subcommand | undefined {
  if (path.length === 1) return command.subcommands?.find((s) => s.name === path[0]);
  if (path.length === 2) {
    const group = command.groups?.find((g) => g.name === path[0]);
    return group?.subcommands.find((s) => s.name === path[1]);
  }
  return undefined;
}

async function runCommand(interaction: Interaction): Promise<void> {
  const data = interaction.data;
  if (!data?.name) return;
  if (data.type === 2 || data.type === 3) {
    const menu = contextMenus.get(`${data.type === 2 ? "user" : "message"}:${data.name}`);
    if (!menu) return;
    const ctx = data.type === 2
      ? userCommandContext(interaction)
      : messageCommandContext(interaction);
    await menu.run(ctx as never);
    return;
  }
  const command = slashCommands.get(data.name);
  if (!command) return;
  const { path, leaf } = commandPath(data.options);
  const run = path.length ? findSubcommand(command, path)?.run : command.run;
  if (run) await run(slashContext(interaction, leaf) as never);
}

async function runAutocomplete(interaction: Interaction): Promise<void> {
  const data = interaction.data;
  const command = data?.name ? slashCommands.get(data.name) : undefined;
  if (!command) return;
  const { path, leaf } = commandPath(data?.options);
  const owner: { autocomplete?: Record<string, AutocompleteHandler | undefined> } | undefined =
    path.length ? findSubcommand(command, path) : command;
  const ctx = autocompleteContext(interaction, leaf);
  const handler = owner?.autocomplete?.[ctx.focused.name];
  if (!handler) return;
  await answerAutocomplete(interaction, await handler(ctx));
}

async function runInteraction(interaction: Interaction): Promise<void> {
  switch (interaction.type) {
    case InteractionType.Command:
      return await runCommand(interaction);
    case InteractionType.Autocomplete:
      return await runAutocomplete(interaction);
    case InteractionType.Component: {
      const route = componentRoutes.find(interaction.data?.custom_id ?? "");
      if (route) await route.handler(componentContext(interaction, route.data));
      return;
    }
    case InteractionType.ModalSubmit: {
      const route = modalRoutes.find(interaction.data?.custom_id ?? "");
      if (route) await route.handler(modalContext(interaction, route.data));
      return;
    }
  }
}

/** Delivers one event: commands, components or cron first, then `on()` handlers, all awaited. */
export async function dispatch(name: ScriptEventName, payload: unknown): Promise<void> {
  if (name === "messageCreate") await runPrefixCommand(payload as Message);
  if (name === "interactionCreate") await runInteraction(payload as Interaction);
  if (name === "cron") await runCron(payload as CronContext);
  if (name === "task") await runTask(payload as TaskInfo);
  for (const handler of handlers.get(name) ?? []) await handler(payload as never);
}
