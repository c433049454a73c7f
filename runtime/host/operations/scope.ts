/**
 * Checks that an id a script names belongs to the script's own guild. The
 * guild is always the sandbox's (from the host), never one the script gave.
 *
 * @module
 */

import type { GuildDirectory } from "../guild_directory.ts";
import { DiscordRefusal, type DiscordRequest } from "./discord_request.ts";

/** Unknown Member, Unknown User: Discord's codes for "no such member here". */
const UNKNOWN_MEMBER = [10007, 10013];

/** Guild-scope checks for one request: channels, roles and members of `guildId`. */
export class GuildScope {
  constructor(
    readonly guildId: string,
    readonly directory: GuildDirectory,
    readonly request: DiscordRequest,
  ) {}

  /** Throws unless the channel (or thread) is in this guild. */
  async channel(channelId: string): Promise<void> {
    await this.directory.assertChannelInGuild(this.guildId, channelId);
  }

  /** Throws unless the role is one of this guild's. */
  async role(roleId: string): Promise<void> {
    const roles = await this.request("GET", `/guilds/${this.guildId}/roles`) as { id: string }[];
    if (!roles.some((r) => r.id === roleId)) {
      throw new Error(`role ${roleId} is not a role of this guild`);
    }
  }

  /**
   * Throws when a message body points outside this guild: a reply or
   * forward (`message_reference`) of another guild's message would copy
   * what the script must not read.
   */
  async messageBody(body: Record<string, unknown> | undefined): Promise<void> {
    const ref = body?.message_reference as
      | { channel_id?: unknown; guild_id?: unknown }
      | undefined;
    if (!ref || typeof ref !== "object") return;
    if (ref.guild_id !== undefined && String(ref.guild_id) !== this.guildId) {
      throw new Error(`message_reference.guild_id ${ref.guild_id} is not this guild`);
    }
    if (ref.channel_id !== undefined) await this.channel(String(ref.channel_id));
  }

  /** The member, or a clear error when the user is not in this guild. */
  async member(userId: string): Promise<unknown> {
    try {
      return await this.request("GET", `/guilds/${this.guildId}/members/${userId}`);
    } catch (error) {
      if (
        error instanceof DiscordRefusal &&
        (error.status === 404 || UNKNOWN_MEMBER.includes(error.code))
      ) {
        throw new Error(`user ${userId} is not a member of this guild`);
      }
      throw error;
    }
  }
}
