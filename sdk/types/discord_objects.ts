/**
 * Discord objects: the fields scripts commonly read (Discord may send more).
 *
 * Part of the SDK's public types; `../types.ts` re-exports them all.
 *
 * @module
 */

import type { Component, Embed } from "./message_bodies.ts";

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
