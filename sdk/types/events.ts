/**
 * Events a script can subscribe to with `on()`.
 *
 * Part of the SDK's public types; `../types.ts` re-exports them all.
 *
 * @module
 */

import type { TaskInfo } from "../../runtime/sandbox/protocol/task_operations.ts";
import type { CronContext } from "./cron.ts";
import type { Channel, Emoji, Guild, Member, Message, Role, User } from "./discord_objects.ts";
import type { Interaction } from "./interactions.ts";

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
