/**
 * The host operations a script may ask for (`call` messages) and their
 * argument and result shapes. The host checks the arguments with
 * `parseOperationArgs` (`parse/operation_args.ts`).
 *
 * @module
 */

import {
  KV_TRANSACTION_OPERATION_NAMES,
  type KvTransactionOperationArgsMap,
} from "./kv_transaction_operations.ts";
import { CPU_OPERATION_NAMES, type CpuOperationArgsMap } from "./cpu_operations.ts";
import { SORTED_OPERATION_NAMES, type SortedOperationArgsMap } from "./sorted_operations.ts";
import { TASK_OPERATION_NAMES, type TaskOperationArgsMap } from "./task_operations.ts";
import type { JsonValue } from "./values.ts";

/** A Discord message body (content, embeds, components…), in Discord's shape. */
export type MessageBody = Record<string, unknown>;

/** Host operations a script may ask for, with their argument shapes. */
export interface OperationArgsMap
  extends
    SortedOperationArgsMap,
    KvTransactionOperationArgsMap,
    TaskOperationArgsMap,
    CpuOperationArgsMap {
  /** Initial response to an interaction the guild received (4 message, 5 deferred, 6 deferred update, 7 update, 8 autocomplete, 9 modal). */
  "interaction.respond": {
    interactionId: string;
    type: 4 | 5 | 6 | 7 | 8 | 9;
    data?: MessageBody;
  };
  /** Follow-up message to an interaction. */
  "interaction.followUp": { interactionId: string; data: MessageBody };
  /** Edit the original response of an interaction. */
  "interaction.editReply": { interactionId: string; data: MessageBody };
  /** Send a message to one of the guild's channels. */
  "message.send": { channelId: string; data: MessageBody };
  /** Delete the original response of an interaction. */
  "interaction.deleteReply": { interactionId: string };
  /** Edit a message in one of the guild's channels. */
  "message.edit": { channelId: string; messageId: string; data: MessageBody };
  /** Delete a message in one of the guild's channels. */
  "message.delete": { channelId: string; messageId: string; reason?: string };
  /** Fetch one message. */
  "message.get": { channelId: string; messageId: string };
  /** Fetch recent messages of a channel (newest first, at most 100). */
  "message.list": { channelId: string; limit?: number; before?: string; after?: string };
  /** React to a message as the bot. */
  "reaction.add": { channelId: string; messageId: string; emoji: string };
  /** Remove the bot's reaction, or a user's when `userId` is given. */
  "reaction.remove": { channelId: string; messageId: string; emoji: string; userId?: string };
  /** Remove every reaction, or every reaction with one emoji. */
  "reaction.removeAll": { channelId: string; messageId: string; emoji?: string };
  "pin.add": { channelId: string; messageId: string };
  "pin.remove": { channelId: string; messageId: string };
  /** Start a thread, from a message when `messageId` is given. */
  "thread.create": {
    channelId: string;
    name: string;
    messageId?: string;
    autoArchiveDuration?: number;
    private?: boolean;
  };
  "member.get": { userId: string };
  "member.list": { limit?: number; after?: string };
  "member.addRole": { userId: string; roleId: string; reason?: string };
  "member.removeRole": { userId: string; roleId: string; reason?: string };
  /** Time a member out until an ISO 8601 instant (null lifts it). */
  "member.timeout": { userId: string; until: string | null; reason?: string };
  "member.kick": { userId: string; reason?: string };
  "member.ban": { userId: string; deleteMessageSeconds?: number; reason?: string };
  "member.unban": { userId: string; reason?: string };
  "role.list": Record<string, never>;
  "channel.get": { channelId: string };
  "channel.list": Record<string, never>;
  "kv.get": { store: string; key: string };
  "kv.set": { store: string; key: string; value: JsonValue; ttlMs?: number; metadata?: JsonValue };
  "kv.delete": { store: string; key: string };
  "kv.list": { store: string; prefix?: string; cursor?: string; limit?: number };
  /** Set only if the entry's version is `expectedVersion` (null: only if absent). */
  "kv.compareAndSet": {
    store: string;
    key: string;
    expectedVersion: string | null;
    value: JsonValue;
    ttlMs?: number;
    metadata?: JsonValue;
  };
  "kv.increment": { store: string; key: string; by: number };
  /** An outbound HTTP request; the host checks hosts and addresses and fills in secrets. */
  fetch: FetchArgs;
}

/** A script's outbound request, as the SDK's `fetch` sends it. */
export interface FetchArgs {
  url: string;
  method: string;
  headers: [string, string][];
  /** The body, base64. */
  body?: string;
  /** What to do with a 3xx answer (the `RequestInit.redirect` values). */
  redirect?: "follow" | "manual" | "error";
}

/** The host's answer to a `fetch` operation. */
export interface FetchResult {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** The body, base64. */
  body: string;
  /** The URL of the last hop (after redirects). */
  url: string;
  redirected: boolean;
}

/** Largest fetch body the protocol carries (decoded bytes); the host's own limit is lower. */
export const MAX_FETCH_BODY_BYTES = 16 * 1024 * 1024;

export type OperationName = keyof OperationArgsMap;
export type OperationArgs<N extends OperationName> = OperationArgsMap[N];

/** Names of every operation, for validation. */
export const OPERATION_NAMES: readonly OperationName[] = [
  "interaction.respond",
  "interaction.followUp",
  "interaction.editReply",
  "message.send",
  "interaction.deleteReply",
  "message.edit",
  "message.delete",
  "message.get",
  "message.list",
  "reaction.add",
  "reaction.remove",
  "reaction.removeAll",
  "pin.add",
  "pin.remove",
  "thread.create",
  "member.get",
  "member.list",
  "member.addRole",
  "member.removeRole",
  "member.timeout",
  "member.kick",
  "member.ban",
  "member.unban",
  "role.list",
  "channel.get",
  "channel.list",
  "kv.get",
  "kv.set",
  "kv.delete",
  "kv.list",
  "kv.compareAndSet",
  "kv.increment",
  ...KV_TRANSACTION_OPERATION_NAMES,
  ...SORTED_OPERATION_NAMES,
  ...TASK_OPERATION_NAMES,
  ...CPU_OPERATION_NAMES,
  "fetch",
];

/** Store names starting with this are the host's own (e.g. cron state); scripts cannot use them. */
export const RESERVED_STORE_PREFIX = "flora.";
