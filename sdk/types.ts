/**
 * Public types of the script SDK: what a guild script sees. The globals
 * declared in `globals.d.ts` and their implementation both use these, so
 * the declarations cannot drift from the code.
 *
 * @module
 */

/** A Discord user, as Discord sends it. */
export interface User {
  id: string;
  username: string;
  global_name?: string | null;
  bot?: boolean;
}

/** A guild member, as Discord sends it (the user may be absent in some payloads). */
export interface Member {
  user?: User;
  nick?: string | null;
  roles: string[];
  permissions?: string;
}

/** A message, as Discord's MESSAGE_CREATE sends it. */
export interface Message {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: User;
  member?: Member;
  content: string;
  timestamp: string;
}

/** Embed fields accepted in replies (Discord's shape). */
export interface Embed {
  title?: string;
  description?: string;
  url?: string;
  color?: number;
  timestamp?: string;
  footer?: { text: string; icon_url?: string };
  author?: { name: string; url?: string; icon_url?: string };
  fields?: { name: string; value: string; inline?: boolean }[];
  image?: { url: string };
  thumbnail?: { url: string };
}

/** Which mentions in a message actually ping. */
export interface AllowedMentions {
  parse?: ("roles" | "users" | "everyone")[];
  roles?: string[];
  users?: string[];
  replied_user?: boolean;
}

/** What a reply may contain: plain text, or a message body. */
export type ReplyInput = string | ReplyOptions;

export interface ReplyOptions {
  content?: string;
  embeds?: Embed[];
  /** Message components (action rows, Components V2), in Discord's shape. */
  components?: unknown[];
  allowedMentions?: AllowedMentions;
  /** Only the invoking user sees it (interactions only). */
  ephemeral?: boolean;
  /** Raw message flags, OR-ed with the ephemeral flag. */
  flags?: number;
}

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

/** One option of a slash command. */
export interface SlashOption {
  name: string;
  description: string;
  type: typeof OptionType[keyof typeof OptionType];
  required?: boolean;
  choices?: { name: string; value: string | number }[];
  minValue?: number;
  maxValue?: number;
  minLength?: number;
  maxLength?: number;
}

/** The value an option carries in an interaction. */
export type OptionValue = string | number | boolean;

/** What a slash command handler receives. */
export interface SlashContext {
  /** The raw interaction, as Discord sent it. */
  interaction: Interaction;
  guildId: string;
  channelId: string;
  user: User;
  member?: Member;
  /** Option values by name. */
  options: Record<string, OptionValue>;
  /** Sends the initial response. */
  reply(input: ReplyInput): Promise<void>;
  /** Acknowledges now and answers later with {@linkcode SlashContext.editReply} or followUp. */
  defer(options?: { ephemeral?: boolean }): Promise<void>;
  /** Edits the initial response. */
  editReply(input: ReplyInput): Promise<void>;
  /** Sends another message after the initial response. */
  followUp(input: ReplyInput): Promise<void>;
}

/** A slash command definition, as passed to `slash()`. */
export interface SlashDefinition {
  name: string;
  description: string;
  options?: SlashOption[];
  /** Permission bits (as a decimal string) a member needs by default. */
  defaultMemberPermissions?: string;
  run(ctx: SlashContext): unknown;
}

/** A slash command, as returned by `slash()`. */
export interface SlashCommand extends SlashDefinition {
  readonly kind: "slash";
}

/** What a prefix command handler receives. */
export interface PrefixContext {
  message: Message;
  guildId: string;
  channelId: string;
  author: User;
  /** Words after the command name; quoted strings stay one argument. */
  args: string[];
  /** Replies in the same channel, referencing the command message. */
  reply(input: ReplyInput): Promise<void>;
}

/** A prefix command definition, as passed to `prefix()`. */
export interface PrefixDefinition {
  name: string;
  aliases?: string[];
  run(ctx: PrefixContext): unknown;
}

/** A prefix command, as returned by `prefix()`. */
export interface PrefixCommand extends PrefixDefinition {
  readonly kind: "prefix";
}

/** Options of `createBot()`. */
export interface BotOptions {
  slashCommands?: SlashCommand[];
  prefixCommands?: PrefixCommand[];
  /** Prefix for prefix commands (default `!`). */
  prefix?: string;
}

/** An interaction, as Discord sends it (the fields scripts commonly read). */
export interface Interaction {
  id: string;
  application_id: string;
  type: number;
  token: string;
  guild_id?: string;
  channel_id?: string;
  member?: Member;
  user?: User;
  data?: {
    id: string;
    name: string;
    type: number;
    options?: InteractionOption[];
    custom_id?: string;
  };
}

/** An option as it arrives in an interaction. */
export interface InteractionOption {
  name: string;
  type: number;
  value?: OptionValue;
  options?: InteractionOption[];
}

/** Events a script can subscribe to with `on()`, and their payloads. */
export interface EventMap {
  /** The bot connected; carries only this guild's id. */
  ready: { guildId: string };
  messageCreate: Message;
  messageUpdate: Partial<Message> & { id: string; channel_id: string };
  messageDelete: { id: string; channel_id: string; guild_id?: string };
  interactionCreate: Interaction;
}
