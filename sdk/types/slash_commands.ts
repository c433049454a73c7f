/**
 * Slash commands and context-menu commands: definitions and what their handlers receive.
 *
 * Part of the SDK's public types; `../types.ts` re-exports them all.
 *
 * @module
 */

import type { Member, Message, User } from "./discord_objects.ts";
import type { Interaction, OptionValue, ResolvedData } from "./interactions.ts";
import type { Modal, ReplyInput } from "./message_bodies.ts";

/** Option types of a slash command, as Discord numbers them. */
export const OptionType = {
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Mentionable: 9,
  Number: 10,
  Attachment: 11,
} as const;

export type OptionTypeValue = typeof OptionType[keyof typeof OptionType];

/** A choice offered for a string, integer or number option. */
export interface Choice<V extends string | number = string | number> {
  name: string;
  value: V;
}

/** One option of a slash command or subcommand. */
export interface SlashOption {
  name: string;
  description: string;
  type: OptionTypeValue;
  required?: boolean;
  choices?: readonly Choice[];
  minValue?: number;
  maxValue?: number;
  minLength?: number;
  maxLength?: number;
  /** Channel types a channel option accepts. */
  channelTypes?: readonly number[];
  /**
   * Suggests choices while the user types (string, integer and number
   * options); the handler goes in the command's `autocomplete` map.
   */
  autocomplete?: boolean;
}

/** Returns up to 25 choices for what the user has typed so far. */
export type AutocompleteHandler = (
  ctx: AutocompleteContext,
) => readonly Choice[] | Promise<readonly Choice[]>;

/** Autocomplete handlers by option name (for options with `autocomplete: true`). */
export type AutocompleteHandlers<O extends readonly SlashOption[] | undefined> = O extends
  readonly SlashOption[] ? { [K in O[number] as K["name"]]?: AutocompleteHandler }
  : Record<string, never>;

/** The value an option of type `T` carries (ids for users, channels, roles, attachments). */
export type OptionValueOf<T extends number> = T extends 3 ? string
  : T extends 4 | 10 ? number
  : T extends 5 ? boolean
  : string;

type ValueOfOption<O> = O extends { choices: readonly { value: infer V }[] } ? V
  : O extends { type: infer T extends number } ? OptionValueOf<T>
  : never;

/**
 * `ctx.options` of a command with options `O`: required options are always
 * present, the others may be `undefined`.
 */
export type OptionsOf<O extends readonly SlashOption[] | undefined> = O extends
  readonly SlashOption[] ? {
    [K in O[number] as K["name"]]: K extends { required: true } ? ValueOfOption<K>
      : ValueOfOption<K> | undefined;
  }
  : Record<string, never>;

/** Answers an interaction; shared by every interaction context. */
export interface InteractionReplies {
  /** The raw interaction, as Discord sent it. */
  interaction: Interaction;
  guildId: string;
  channelId: string;
  user: User;
  member?: Member;
  /** Sends the initial response. */
  reply(input: ReplyInput): Promise<void>;
  /** Acknowledges now; answer later with `editReply` or `followUp`. */
  defer(options?: { ephemeral?: boolean }): Promise<void>;
  /** Edits the initial response. */
  editReply(input: ReplyInput): Promise<void>;
  /** Deletes the initial response. */
  deleteReply(): Promise<void>;
  /** Sends another message after the initial response; resolves with its id. */
  followUp(input: ReplyInput): Promise<{ id?: string }>;
  /** Opens a modal (as the initial response). */
  showModal(modal: Modal): Promise<void>;
}

/** What a slash command (or subcommand) handler receives. */
export interface SlashContext<O = Record<string, OptionValue | undefined>>
  extends InteractionReplies {
  /** Option values by name, typed from the command's definition. */
  options: O;
  /** Resolved users, members, roles, channels and attachments named by options. */
  resolved: ResolvedData;
}

/** What an autocomplete handler receives; it returns up to 25 choices. */
export interface AutocompleteContext {
  interaction: Interaction;
  guildId: string;
  user: User;
  /** The option being typed and its current text. */
  focused: { name: string; value: string };
  /** The other options filled in so far. */
  options: Record<string, OptionValue | undefined>;
}

/** A subcommand, as `subcommand()` returns it. */
export interface Subcommand<O extends readonly SlashOption[] = readonly SlashOption[]> {
  readonly kind: "subcommand";
  name: string;
  description: string;
  options?: O;
  autocomplete?: AutocompleteHandlers<O>;
  run(ctx: SlashContext<OptionsOf<O>>): unknown;
}

/** A subcommand definition, as passed to `subcommand()`. */
export interface SubcommandDefinition<O extends readonly SlashOption[]> {
  name: string;
  description: string;
  options?: O;
  /** Handlers of the options marked `autocomplete: true`, by option name. */
  autocomplete?: AutocompleteHandlers<O>;
  run(ctx: SlashContext<OptionsOf<O>>): unknown;
}

/** A group of subcommands (`/name group sub`). */
export interface SubcommandGroup {
  name: string;
  description: string;
  subcommands: Subcommand[];
}

/** A slash command definition, as passed to `slash()`. */
export interface SlashDefinition<O extends readonly SlashOption[] = readonly SlashOption[]> {
  name: string;
  description: string;
  options?: O;
  /** Subcommands (`/name sub`); a command with subcommands has no `run`. */
  subcommands?: Subcommand[];
  /** Subcommand groups (`/name group sub`). */
  groups?: SubcommandGroup[];
  /** Permission bits (as a decimal string) a member needs by default; "0" hides it from all but admins. */
  defaultMemberPermissions?: string;
  /** Handlers of the options marked `autocomplete: true`, by option name. */
  autocomplete?: AutocompleteHandlers<O>;
  run?(ctx: SlashContext<OptionsOf<O>>): unknown;
}

/** A slash command, as returned by `slash()`. */
export interface SlashCommand<O extends readonly SlashOption[] = readonly SlashOption[]>
  extends SlashDefinition<O> {
  readonly kind: "slash";
}

/** What a user context-menu command receives. */
export interface UserCommandContext extends InteractionReplies {
  /** The user the command was run on. */
  target: User;
  targetMember?: Member;
}

/** What a message context-menu command receives. */
export interface MessageCommandContext extends InteractionReplies {
  /** The message the command was run on. */
  target: Message;
}

/** A context-menu command (right-click on a user or a message). */
export interface ContextMenuCommand {
  readonly kind: "user" | "message";
  name: string;
  defaultMemberPermissions?: string;
  run(ctx: never): unknown;
}

/** A user context-menu command definition. */
export interface UserCommandDefinition {
  name: string;
  defaultMemberPermissions?: string;
  run(ctx: UserCommandContext): unknown;
}

/** A message context-menu command definition. */
export interface MessageCommandDefinition {
  name: string;
  defaultMemberPermissions?: string;
  run(ctx: MessageCommandContext): unknown;
}
