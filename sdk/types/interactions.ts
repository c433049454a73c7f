/**
 * Interactions as they arrive.
 *
 * Part of the SDK's public types; `../types.ts` re-exports them all.
 *
 * @module
 */

import type { Attachment, Channel, Member, Message, Role, User } from "./discord_objects.ts";
import type { Component } from "./message_bodies.ts";

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

/** The value an option carries in an interaction. */
export type OptionValue = string | number | boolean;

/** Objects Discord resolved for the ids in an interaction's options. */
export interface ResolvedData {
  users?: Record<string, User>;
  members?: Record<string, Member>;
  roles?: Record<string, Role>;
  channels?: Record<string, Channel>;
  attachments?: Record<string, Attachment>;
  messages?: Record<string, Message>;
}
