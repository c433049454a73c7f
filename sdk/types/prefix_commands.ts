/**
 * Prefix commands, and `createBot()`'s options.
 *
 * Part of the SDK's public types; `../types.ts` re-exports them all.
 *
 * @module
 */

import type { Message, User } from "./discord_objects.ts";
import type { ReplyInput } from "./message_bodies.ts";
import type { ContextMenuCommand, SlashCommand } from "./slash_commands.ts";

/** Types a prefix command argument can be parsed as. */
export type PrefixArgType =
  | "string"
  | "number"
  | "integer"
  | "boolean"
  | "user"
  | "channel"
  | "role"
  /** The rest of the message, as one string (last argument only). */
  | "rest";

/** One declared argument of a prefix command. */
export interface PrefixArg {
  name: string;
  type: PrefixArgType;
  /** Defaults to true. */
  required?: boolean;
}

type PrefixArgValue<T extends PrefixArgType> = T extends "number" | "integer" ? number
  : T extends "boolean" ? boolean
  : string;

/** `ctx.args` of a prefix command: raw words without declared args, else parsed values by name. */
export type PrefixArgsOf<A extends readonly PrefixArg[]> = A extends readonly [] ? string[]
  : {
    [K in A[number] as K["name"]]: K extends { required: false }
      ? PrefixArgValue<K["type"]> | undefined
      : PrefixArgValue<K["type"]>;
  };

/** What a prefix command handler receives. */
export interface PrefixContext<Args = string[]> {
  message: Message;
  guildId: string;
  channelId: string;
  author: User;
  /** Declared arguments parsed and typed; without declarations, the words after the name. */
  args: Args;
  /** The words after the command name; quoted strings stay one argument. */
  argv: string[];
  /** Replies in the same channel, referencing the command message. */
  reply(input: ReplyInput): Promise<{ id?: string }>;
}

/** A prefix command definition, as passed to `prefix()`. */
export interface PrefixDefinition<A extends readonly PrefixArg[] = readonly []> {
  name: string;
  aliases?: string[];
  /** Declared arguments; a message that does not fit gets a usage reply. */
  args?: A;
  run(ctx: PrefixContext<PrefixArgsOf<A>>): unknown;
}

/** A prefix command, as returned by `prefix()`. */
export interface PrefixCommand {
  readonly kind: "prefix";
  name: string;
  aliases?: string[];
  args?: readonly PrefixArg[];
  run(ctx: PrefixContext<never>): unknown;
}

/** Options of `createBot()`. */
export interface BotOptions {
  // deno-lint-ignore no-explicit-any -- any option tuple; each command was typed by slash()
  slashCommands?: SlashCommand<any>[];
  prefixCommands?: PrefixCommand[];
  /** User and message context-menu commands. */
  contextMenus?: ContextMenuCommand[];
  /** Prefix for prefix commands (default `!`). */
  prefix?: string;
}
