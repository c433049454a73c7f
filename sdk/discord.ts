/**
 * `discord`: actions on the script's own guild. Each is one host operation;
 * the host refuses any channel, message, role or member outside the guild
 * with an error saying so.
 *
 * @example
 * ```ts
 * const sent = await discord.sendMessage(channelId, "hello");
 * await discord.addReaction(channelId, sent.id, "👋");
 * ```
 *
 * @module
 */

import type { OperationArgs, OperationName } from "../runtime/sandbox/protocol/operations.ts";
import { call } from "./bridge.ts";
import { toMessageBody } from "./reply.ts";
import type { Channel, Member, Message, ReplyInput, Role } from "./types.ts";

function op<N extends OperationName>(name: N, args: OperationArgs<N>): Promise<unknown> {
  return call(name, args);
}

/** Discord's longest timeout: 28 days. */
const MAX_TIMEOUT_MS = 28 * 24 * 3600 * 1000;

export const discord = {
  /** Sends a message to one of the guild's channels. */
  async sendMessage(channelId: string, input: ReplyInput): Promise<Message> {
    return await op("message.send", { channelId, data: toMessageBody(input) }) as Message;
  },
  /** Edits a message (the bot's own, for content). */
  async editMessage(channelId: string, messageId: string, input: ReplyInput): Promise<Message> {
    return await op("message.edit", {
      channelId,
      messageId,
      data: toMessageBody(input, { allowEmpty: true }),
    }) as Message;
  },
  async deleteMessage(channelId: string, messageId: string, reason?: string): Promise<void> {
    await op("message.delete", { channelId, messageId, reason });
  },
  async getMessage(channelId: string, messageId: string): Promise<Message> {
    return await op("message.get", { channelId, messageId }) as Message;
  },
  /** Recent messages, newest first (limit 1-100, default 50). */
  async getMessages(
    channelId: string,
    options: { limit?: number; before?: string; after?: string } = {},
  ): Promise<Message[]> {
    return await op("message.list", { channelId, ...options }) as Message[];
  },
  /** Reacts as the bot; `emoji` is unicode ("👍") or `name:id` for custom emoji. */
  async addReaction(channelId: string, messageId: string, emoji: string): Promise<void> {
    await op("reaction.add", { channelId, messageId, emoji });
  },
  /** Removes the bot's reaction, or `userId`'s. */
  async removeReaction(
    channelId: string,
    messageId: string,
    emoji: string,
    userId?: string,
  ): Promise<void> {
    await op("reaction.remove", { channelId, messageId, emoji, userId });
  },
  /** Removes every reaction, or every reaction with `emoji`. */
  async removeAllReactions(channelId: string, messageId: string, emoji?: string): Promise<void> {
    await op("reaction.removeAll", { channelId, messageId, emoji });
  },
  async pinMessage(channelId: string, messageId: string): Promise<void> {
    await op("pin.add", { channelId, messageId });
  },
  async unpinMessage(channelId: string, messageId: string): Promise<void> {
    await op("pin.remove", { channelId, messageId });
  },
  /** Starts a thread in a channel, from a message when `messageId` is given. */
  async createThread(
    channelId: string,
    options: {
      name: string;
      messageId?: string;
      autoArchiveMinutes?: 60 | 1440 | 4320 | 10080;
      private?: boolean;
    },
  ): Promise<Channel> {
    return await op("thread.create", {
      channelId,
      name: options.name,
      messageId: options.messageId,
      autoArchiveDuration: options.autoArchiveMinutes,
      private: options.private,
    }) as Channel;
  },
  async getMember(userId: string): Promise<Member> {
    return await op("member.get", { userId }) as Member;
  },
  /** Members in id order (limit 1-1000, default 100; page with `after`). */
  async getMembers(options: { limit?: number; after?: string } = {}): Promise<Member[]> {
    return await op("member.list", options) as Member[];
  },
  async addRole(userId: string, roleId: string, reason?: string): Promise<void> {
    await op("member.addRole", { userId, roleId, reason });
  },
  async removeRole(userId: string, roleId: string, reason?: string): Promise<void> {
    await op("member.removeRole", { userId, roleId, reason });
  },
  /** Times a member out for `durationMs` (up to 28 days); `null` lifts a timeout. */
  async timeout(userId: string, durationMs: number | null, reason?: string): Promise<void> {
    if (durationMs !== null && (!(durationMs > 0) || durationMs > MAX_TIMEOUT_MS)) {
      throw new RangeError("a timeout lasts more than 0 ms and at most 28 days");
    }
    const until = durationMs === null ? null : new Date(Date.now() + durationMs).toISOString();
    await op("member.timeout", { userId, until, reason });
  },
  async kick(userId: string, reason?: string): Promise<void> {
    await op("member.kick", { userId, reason });
  },
  /** Bans a user; `deleteMessageSeconds` (≤ 7 days) also deletes their recent messages. */
  async ban(
    userId: string,
    options: { reason?: string; deleteMessageSeconds?: number } = {},
  ): Promise<void> {
    await op("member.ban", { userId, ...options });
  },
  async unban(userId: string, reason?: string): Promise<void> {
    await op("member.unban", { userId, reason });
  },
  async getRoles(): Promise<Role[]> {
    return await op("role.list", {}) as Role[];
  },
  async getChannel(channelId: string): Promise<Channel> {
    return await op("channel.get", { channelId }) as Channel;
  },
  async getChannels(): Promise<Channel[]> {
    return await op("channel.list", {}) as Channel[];
  },
} as const;
