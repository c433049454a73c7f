/**
 * Public types of the script SDK: what a guild script sees. The globals
 * declared in `globals.d.ts` and their implementation both use these, so
 * the declarations cannot drift from the code. Payloads are Discord's own
 * objects (snake_case), as the gateway sends them.
 *
 * @module
 */

import type { JsonValue } from "../runtime/sandbox/protocol/values.ts";
import type { SortedEntry, SortedPage } from "../runtime/sandbox/protocol/sorted_operations.ts";
import type { TaskInfo } from "../runtime/sandbox/protocol/task_operations.ts";

// ---------------------------------------------------------------------------
// Discord objects (the fields scripts commonly read; Discord may send more)

/** A Discord user. */
export interface User {
  id: string;
  username: string;
  global_name?: string | null;
  avatar?: string | null;
  bot?: boolean;
}

/** A guild member (the user may be absent in some payloads). */
export interface Member {
  user?: User;
  nick?: string | null;
  roles: string[];
  joined_at?: string;
  communication_disabled_until?: string | null;
  /** Permission bits (decimal string), present in interactions. */
  permissions?: string;
}

/** An emoji as reactions carry it (`id` null for unicode emoji). */
export interface Emoji {
  id: string | null;
  name: string | null;
  animated?: boolean;
}

/** A reaction summary on a message. */
export interface Reaction {
  count: number;
  me: boolean;
  emoji: Emoji;
}

/** An attachment on a message or an attachment option. */
export interface Attachment {
  id: string;
  filename: string;
  url: string;
  size: number;
  content_type?: string;
}

/** A message. */
export interface Message {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: User;
  member?: Member;
  content: string;
  timestamp: string;
  edited_timestamp?: string | null;
  embeds?: Embed[];
  components?: Component[];
  attachments?: Attachment[];
  reactions?: Reaction[];
  pinned?: boolean;
  flags?: number;
  message_reference?: { message_id?: string; channel_id?: string; guild_id?: string };
  mentions?: User[];
}

/** A role. */
export interface Role {
  id: string;
  name: string;
  color: number;
  position: number;
  permissions: string;
  managed: boolean;
  mentionable: boolean;
  hoist: boolean;
}

/** A channel or thread. */
export interface Channel {
  id: string;
  type: number;
  guild_id?: string;
  name?: string;
  parent_id?: string | null;
  topic?: string | null;
  position?: number;
  thread_metadata?: { archived: boolean; locked?: boolean; auto_archive_duration: number };
}

/** The guild, as GUILD_UPDATE sends it. */
export interface Guild {
  id: string;
  name: string;
  icon?: string | null;
  owner_id: string;
  description?: string | null;
}

// ---------------------------------------------------------------------------
// Message bodies

/** An embed (Discord's shape). Limits are checked before sending. */
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

/** A message component (action rows, buttons, selects, Components V2), Discord's shape. */
export interface Component {
  type: number;
  [field: string]: unknown;
}

/** What a reply may contain: plain text, or a message body. */
export type ReplyInput = string | ReplyOptions;

/** A message body as scripts write it. */
export interface ReplyOptions {
  content?: string;
  embeds?: Embed[];
  /** Action rows or Components V2 (built with `ui`). V2 sets its message flag itself. */
  components?: Component[];
  allowedMentions?: AllowedMentions;
  /** Only the invoking user sees it (interactions only). */
  ephemeral?: boolean;
  /** Raw message flags, OR-ed with the ephemeral and Components V2 flags. */
  flags?: number;
}

/** A modal, as `ui.modal()` builds it. */
export interface Modal {
  custom_id: string;
  title: string;
  components: Component[];
}

// ---------------------------------------------------------------------------
// Slash commands

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

/** The value an option carries in an interaction. */
export type OptionValue = string | number | boolean;

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

/** Objects Discord resolved for the ids in an interaction's options. */
export interface ResolvedData {
  users?: Record<string, User>;
  members?: Record<string, Member>;
  roles?: Record<string, Role>;
  channels?: Record<string, Channel>;
  attachments?: Record<string, Attachment>;
  messages?: Record<string, Message>;
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

// ---------------------------------------------------------------------------
// Components and modals

/** What a button or select menu handler receives. */
export interface ComponentContext extends InteractionReplies {
  /** The clicked component's full custom id. */
  customId: string;
  /** For prefix routes: the part of the custom id after the prefix (the data it carries). */
  data: string;
  /** Selected values (select menus), empty for buttons. */
  values: string[];
  /** The message the component is on. */
  message: Message;
  /** Replaces the message the component is on (as the initial response). */
  update(input: ReplyInput): Promise<void>;
  /** Acknowledges without a new message; edit later with `editReply`. */
  deferUpdate(): Promise<void>;
}

/** What a modal submit handler receives. */
export interface ModalContext extends Omit<InteractionReplies, "showModal"> {
  customId: string;
  /** For prefix routes: the part of the custom id after the prefix. */
  data: string;
  /** Text input values by custom id. */
  fields: Record<string, string>;
  /** Updates the message whose component opened the modal. */
  update(input: ReplyInput): Promise<void>;
  deferUpdate(): Promise<void>;
}

/** A custom id to route: exact, or every id that starts with `prefix`. */
export type CustomIdMatch = string | { prefix: string };

// ---------------------------------------------------------------------------
// Prefix commands

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

// ---------------------------------------------------------------------------
// Interactions as they arrive

/** An interaction (the fields scripts commonly read). */
export interface Interaction {
  id: string;
  application_id: string;
  /** 2 command, 3 component, 4 autocomplete, 5 modal submit. */
  type: number;
  token: string;
  guild_id?: string;
  channel_id?: string;
  member?: Member;
  user?: User;
  message?: Message;
  data?: {
    id?: string;
    name?: string;
    type?: number;
    options?: InteractionOption[];
    resolved?: ResolvedData;
    target_id?: string;
    custom_id?: string;
    component_type?: number;
    values?: string[];
    components?: Component[];
  };
}

/** An option as it arrives in an interaction. */
export interface InteractionOption {
  name: string;
  type: number;
  value?: OptionValue;
  focused?: boolean;
  options?: InteractionOption[];
}

// ---------------------------------------------------------------------------
// Events

/** An emoji reaction event. */
export interface ReactionEvent {
  user_id: string;
  channel_id: string;
  message_id: string;
  guild_id?: string;
  member?: Member;
  emoji: Emoji;
  message_author_id?: string;
}

/** Events a script can subscribe to with `on()`, and their payloads. */
export interface EventMap {
  /** The bot connected; carries only this guild's id. */
  ready: { guildId: string };
  messageCreate: Message;
  messageUpdate: Partial<Message> & { id: string; channel_id: string };
  messageDelete: { id: string; channel_id: string; guild_id?: string };
  messageDeleteBulk: { ids: string[]; channel_id: string; guild_id?: string };
  reactionAdd: ReactionEvent;
  reactionRemove: Omit<ReactionEvent, "member">;
  reactionRemoveAll: { channel_id: string; message_id: string; guild_id?: string };
  reactionRemoveEmoji: { channel_id: string; message_id: string; guild_id?: string; emoji: Emoji };
  memberAdd: Member & { user: User; guild_id: string };
  memberUpdate: Member & { user: User; guild_id: string };
  memberRemove: { user: User; guild_id: string };
  roleCreate: { guild_id: string; role: Role };
  roleUpdate: { guild_id: string; role: Role };
  roleDelete: { guild_id: string; role_id: string };
  channelCreate: Channel;
  channelUpdate: Channel;
  channelDelete: Channel;
  threadCreate: Channel & { newly_created?: boolean };
  threadUpdate: Channel;
  threadDelete: { id: string; guild_id: string; parent_id?: string; type: number };
  guildUpdate: Guild;
  /** Every interaction, raw (commands and components are also routed to their handlers). */
  interactionCreate: Interaction;
  /** A cron job is due (its handler also runs). */
  cron: CronContext;
  /** A scheduled task is due (its `tasks.on` handler also runs). */
  task: TaskInfo;
}

// ---------------------------------------------------------------------------
// KV

/** A JSON value, as KV stores hold (defined once, where it crosses the sandbox boundary). */
export type { JsonValue };

/** One stored entry. */
export interface KvEntry<T extends JsonValue = JsonValue> {
  key: string;
  value: T;
  metadata?: JsonValue;
  /** Epoch ms when it expires, if set with a TTL. */
  expiresAt?: number;
  /** Pass to `compareAndSet`. */
  version: string;
}

/** Options of `set` and `compareAndSet`. */
export interface KvSetOptions {
  /** Time to live, ms. */
  ttlMs?: number;
  metadata?: JsonValue;
}

/** One page of `list`. */
export interface KvPage {
  entries: KvEntry[];
  /** Present when more entries follow: pass it to the next `list`. */
  cursor?: string;
}

/** A named key-value store of this guild (`kv("tags")`). */
export interface KvStore {
  readonly name: string;
  /** The value, or undefined when absent (or expired). */
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined>;
  /** The entry with its version and metadata, or null. */
  getEntry<T extends JsonValue = JsonValue>(key: string): Promise<KvEntry<T> | null>;
  set(key: string, value: JsonValue, options?: KvSetOptions): Promise<KvEntry>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<KvPage>;
  /**
   * Sets only if the entry is still at `expectedVersion` (null: only if absent);
   * resolves to the new entry, or null when someone else changed it first.
   */
  compareAndSet(
    key: string,
    expectedVersion: string | null,
    value: JsonValue,
    options?: KvSetOptions,
  ): Promise<KvEntry | null>;
  /** Adds `by` (default 1) atomically; an absent key counts as 0. */
  increment(key: string, by?: number): Promise<number>;
}

// ---------------------------------------------------------------------------
// Sorted sets

/** A scheduled task: its id, name, key, payload, when it was due and which delivery this is. */
export type { TaskInfo };

/** A key with its score, and a page of `range` (pass `cursor` to the next `range`). */
export type { SortedEntry, SortedPage };

/** Options of `range`. */
export interface SortedRangeOptions {
  /** Lowest score included (default: no bound). */
  min?: number;
  /** Highest score included (default: no bound). */
  max?: number;
  /** Page size, 1–1000 (default 100). */
  limit?: number;
  /** From the previous page. */
  cursor?: string;
}

/**
 * A named sorted set of this guild (`sorted("xp")`): numeric scores by key,
 * read highest first (ties: by key). Every write is atomic.
 */
export interface SortedStore {
  readonly name: string;
  /** Adds `by` (default 1) to the key's score; an absent key counts as 0. Resolves to the new score. */
  incr(key: string, by?: number): Promise<number>;
  /** Sets the key's score. */
  set(key: string, score: number): Promise<void>;
  /** The key's score, or null when absent. */
  score(key: string): Promise<number | null>;
  /** True when the key was there. */
  delete(key: string): Promise<boolean>;
  /** The `n` (1–1000) highest-scored keys, highest first. */
  top(n: number): Promise<SortedEntry[]>;
  /** The key's position from the top (1 = highest score), or null when absent. */
  rank(key: string): Promise<number | null>;
  /** Keys with `min ≤ score ≤ max`, highest first, a page at a time. */
  range(options?: SortedRangeOptions): Promise<SortedPage>;
}

// ---------------------------------------------------------------------------
// Cron

/** Options of `cron()`. */
export interface CronOptions {
  /** Skip a run while the previous run of this job is still going (default false). */
  skipIfRunning?: boolean;
}

/** What a cron handler receives. */
export interface CronContext {
  name: string;
  /** When the run was due (ISO 8601, UTC). */
  scheduledAt: string;
  /** When the host fired it (epoch ms). */
  firedAt?: number;
}
