/**
 * Components and modals: what their handlers receive and how custom ids route.
 *
 * Part of the SDK's public types; `../types.ts` re-exports them all.
 *
 * @module
 */

import type { Message } from "./discord_objects.ts";
import type { ReplyInput } from "./message_bodies.ts";
import type { InteractionReplies } from "./slash_commands.ts";

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
