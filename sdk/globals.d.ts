/**
 * Type declarations of the globals a flora script sees. Reference this file
 * (`/// <reference types="…/sdk/globals.d.ts" />`) so an editor completes
 * the SDK; `flora deploy` type-checks scripts against it. Every global is
 * declared as `typeof` its implementation (`globals.ts`), so the two cannot
 * drift; `globals_test.ts` checks that none is missing.
 *
 * @module
 */

import type { globals } from "./globals.ts";
import type * as T from "./types.ts";

declare global {
  /** Declares the bot's commands; call once at the top level. */
  const createBot: typeof globals.createBot;
  /** Subscribes to one of this guild's gateway events. */
  const on: typeof globals.on;
  /** Defines a slash command; `ctx.options` is typed from its options. */
  const slash: typeof globals.slash;
  /** Defines a subcommand of a slash command (or of a group). */
  const subcommand: typeof globals.subcommand;
  /** Defines a prefix command (e.g. `!ping`), with typed arguments. */
  const prefix: typeof globals.prefix;
  /** Defines a user context-menu command. */
  const userCommand: typeof globals.userCommand;
  /** Defines a message context-menu command. */
  const messageCommand: typeof globals.messageCommand;
  /** Handles buttons and select menus by custom id (exact or `{ prefix }`). */
  const onComponent: typeof globals.onComponent;
  /** Handles modal submits by custom id (exact or `{ prefix }`). */
  const onModal: typeof globals.onModal;
  /** Discord's slash command option types. */
  const OptionType: typeof globals.OptionType;
  /** Builders: embeds, rows, buttons, selects, text inputs, modals, Components V2. */
  const ui: typeof globals.ui;
  /** Actions on this guild: messages, reactions, pins, threads, members, roles, channels. */
  const discord: typeof globals.discord;
  /** The guild's named key-value stores; `kv.transact` writes several keys atomically. */
  const kv: typeof globals.kv;
  /** The guild's named sorted sets (leaderboards): `incr`, `top`, `rank`, `range`. */
  const sorted: typeof globals.sorted;
  /** Durable one-off tasks: `tasks.schedule(name, { in: "10m" }, payload)`, `tasks.on(name, …)`. */
  const tasks: typeof globals.tasks;
  /** Declares a job on a five-field UTC cron schedule. */
  const cron: typeof globals.cron;
  /** Asks for `ms` more budget for the running handler, from the guild's refilling burst bucket. */
  const requestCpuBurst: typeof globals.requestCpuBurst;
  /**
   * A marker for the guild's secret `name` to put in a `fetch` request (header, URL or
   * body); the host substitutes the value only for hosts the secret allows.
   */
  const secret: typeof globals.secret;

  /** The SDK's types, for annotating your own functions (`flora.Message`, `flora.SlashContext`…). */
  namespace flora {
    export type User = T.User;
    export type Member = T.Member;
    export type Message = T.Message;
    export type Role = T.Role;
    export type Channel = T.Channel;
    export type Guild = T.Guild;
    export type Emoji = T.Emoji;
    export type Embed = T.Embed;
    export type Component = T.Component;
    export type Modal = T.Modal;
    export type ReplyInput = T.ReplyInput;
    export type ReplyOptions = T.ReplyOptions;
    export type Interaction = T.Interaction;
    export type SlashContext<O = Record<string, T.OptionValue | undefined>> = T.SlashContext<O>;
    export type ComponentContext = T.ComponentContext;
    export type ModalContext = T.ModalContext;
    export type AutocompleteContext = T.AutocompleteContext;
    export type UserCommandContext = T.UserCommandContext;
    export type MessageCommandContext = T.MessageCommandContext;
    export type PrefixContext<A = string[]> = T.PrefixContext<A>;
    export type EventMap = T.EventMap;
    export type ReactionEvent = T.ReactionEvent;
    export type JsonValue = T.JsonValue;
    export type KvStore = T.KvStore;
    export type KvEntry<V extends T.JsonValue = T.JsonValue> = T.KvEntry<V>;
    export type SortedStore = T.SortedStore;
    export type SortedEntry = T.SortedEntry;
    export type SortedPage = T.SortedPage;
    export type TaskInfo = T.TaskInfo;
    export type CronContext = T.CronContext;
  }
}
