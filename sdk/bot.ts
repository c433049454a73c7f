/**
 * `createBot()` and `on()`: what a script registers, and how an incoming
 * event reaches the matching command or handlers.
 *
 * @module
 */

import type { CommandDefinition, ScriptEventName } from "../runtime/sandbox/protocol.ts";
import { parseArgs } from "./args.ts";
import { toCommandDefinition } from "./commands.ts";
import { prefixContext, slashContext } from "./contexts.ts";
import type {
  BotOptions,
  EventMap,
  Interaction,
  Message,
  PrefixCommand,
  SlashCommand,
} from "./types.ts";

/** Discord interaction type of slash commands (APPLICATION_COMMAND). */
const APPLICATION_COMMAND = 2;

type Handler = (payload: never) => unknown;

let created = false;
let commandPrefix = "!";
const slashCommands = new Map<string, SlashCommand>();
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
    slashCommands.set(command.name, command);
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
  if (typeof handler !== "function") throw new TypeError(`on("${event}") needs a handler function`);
  const list = handlers.get(event) ?? [];
  list.push(handler as Handler);
  handlers.set(event, list);
}

/** The commands to register with Discord for the guild. */
export function registeredCommands(): CommandDefinition[] {
  return [...slashCommands.values()].map(toCommandDefinition);
}

async function runPrefixCommand(message: Message): Promise<void> {
  if (message.author?.bot || !message.content?.startsWith(commandPrefix)) return;
  const [name, ...args] = parseArgs(message.content.slice(commandPrefix.length));
  const command = name === undefined ? undefined : prefixCommands.get(name);
  if (command) await command.run(prefixContext(message, args));
}

async function runSlashCommand(interaction: Interaction): Promise<void> {
  if (interaction.type !== APPLICATION_COMMAND || !interaction.data) return;
  const command = slashCommands.get(interaction.data.name);
  if (command) await command.run(slashContext(interaction));
}

/** Delivers one event: commands first, then `on()` handlers, all awaited. */
export async function dispatch(name: ScriptEventName, payload: unknown): Promise<void> {
  if (name === "messageCreate") await runPrefixCommand(payload as Message);
  if (name === "interactionCreate") await runSlashCommand(payload as Interaction);
  for (const handler of handlers.get(name) ?? []) await handler(payload as never);
}
