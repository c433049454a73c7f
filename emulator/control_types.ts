/**
 * Shapes exchanged by the control API (`/_emulator/...`) and its client.
 * Kept apart from the server so the client imports nothing server-side.
 *
 * @module
 */

import type { ApiApplicationCommand, ApiInteraction, ApiMessage, ApiUser } from "./types.ts";

export type { BotAction } from "./actions.ts";

export interface ChannelSummary {
  id: string;
  name: string;
  type: number;
  parentId: string | null;
}

export interface RoleSummary {
  id: string;
  name: string;
  permissions: string;
  position: number;
  managed: boolean;
}

export interface MemberSummary {
  userId: string;
  username: string;
  roles: string[];
  bot: boolean;
}

export interface GuildSummary {
  id: string;
  name: string;
  ownerId: string;
  channels: ChannelSummary[];
  roles: RoleSummary[];
  members: MemberSummary[];
  commands: ApiApplicationCommand[];
}

export interface World {
  application: { id: string; name: string; flags: number };
  botUser: ApiUser;
  users: ApiUser[];
  guilds: GuildSummary[];
}

/** An interaction with everything the bot answered. */
export interface InteractionView {
  interaction: ApiInteraction;
  createdAt: number;
  /** The initial callback's type, or null while unanswered. */
  responseType: number | null;
  responses: {
    kind: "callback" | "followup" | "edit" | "delete";
    at: number;
    type?: number;
    body: unknown;
    messageId?: string;
  }[];
  /** The original response message as it is now (null if none or deleted). */
  originalMessage: ApiMessage | null;
  followups: ApiMessage[];
}

/** The brief's name for an interaction's record. */
export type InteractionRecord = InteractionView;

export interface SlashInvocation {
  guildId: string;
  channelId: string;
  userId: string;
  name: string;
  options?: {
    name: string;
    type: number;
    value?: unknown;
    focused?: boolean;
    options?: unknown[];
  }[];
}

/** A user or message context-menu command, run on `targetId`; see `EmulatorClient.invokeContextMenu`. */
export interface ContextMenuInvocation {
  guildId: string;
  channelId: string;
  userId: string;
  /** The registered command's id (from `world()` or the bot's registration). */
  commandId: string;
  /** The user (user command) or the message in `channelId` (message command). */
  targetId: string;
}

export interface ComponentInvocation {
  channelId: string;
  messageId: string;
  userId: string;
  customId: string;
  componentType?: number;
  values?: string[];
}

/** Gateway faults: drop, reconnect (op 7), invalid session (op 9), heartbeat ACK trouble. */
export type GatewayFault =
  | { kind: "close"; code: number; shardId?: number }
  | { kind: "reconnect"; shardId?: number }
  /** op 1 from the server: the client must heartbeat at once. */
  | { kind: "heartbeat_request"; shardId?: number }
  | { kind: "invalid_session"; resumable: boolean; shardId?: number }
  /** Delay every ACK by `delayMs`, and/or swallow the next `drop` ACKs (true: all, until reset). */
  | { kind: "heartbeat_ack"; delayMs?: number; drop?: number | boolean };

/** A forced REST failure on a route label (or "*"). */
export interface RestFault {
  route: string;
  status: number;
  count?: number;
  retryAfter?: number;
}

export interface GatewaySessionView {
  id: string;
  shard: [number, number];
  intents: number;
  seq: number;
  connected: boolean;
}
