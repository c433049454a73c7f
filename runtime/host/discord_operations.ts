/**
 * Carries out the Discord operations scripts ask for, after checking each
 * against the asking guild (the guild comes from the sandbox's identity,
 * never from the script).
 *
 * @module
 */

import type { OperationArgs, OperationName } from "../sandbox/protocol.ts";
import type { GuildDirectory } from "./guild_directory.ts";
import type { InteractionRegistry } from "./interactions.ts";
import type { OperationExecutor } from "./sandboxes.ts";

/** The slice of Discordeno's REST manager these operations use. */
export interface DiscordRest {
  sendInteractionResponse(
    interactionId: string,
    token: string,
    body: { type: number; data?: Record<string, unknown> },
  ): Promise<unknown>;
  sendFollowupMessage(token: string, body: Record<string, unknown>): Promise<unknown>;
  editOriginalInteractionResponse(token: string, body: Record<string, unknown>): Promise<unknown>;
  sendMessage(channelId: string, body: Record<string, unknown>): Promise<unknown>;
}

function messageId(result: unknown): { id?: string } {
  const id = (result as { id?: unknown } | undefined)?.id;
  return typeof id === "string" || typeof id === "bigint" ? { id: String(id) } : {};
}

/** Executes operations against Discord for a guild. */
export class DiscordOperations implements OperationExecutor {
  constructor(
    readonly rest: DiscordRest,
    readonly directory: GuildDirectory,
    readonly interactions: InteractionRegistry,
  ) {}

  async execute(guildId: string, op: OperationName, args: unknown): Promise<unknown> {
    switch (op) {
      case "interaction.respond": {
        const a = args as OperationArgs<"interaction.respond">;
        const record = this.interactions.forGuild(guildId, a.interactionId);
        await this.rest.sendInteractionResponse(record.id, record.token, {
          type: a.type,
          data: a.data,
        });
        return null;
      }
      case "interaction.followUp": {
        const a = args as OperationArgs<"interaction.followUp">;
        const record = this.interactions.forGuild(guildId, a.interactionId);
        return messageId(await this.rest.sendFollowupMessage(record.token, a.data));
      }
      case "interaction.editReply": {
        const a = args as OperationArgs<"interaction.editReply">;
        const record = this.interactions.forGuild(guildId, a.interactionId);
        return messageId(await this.rest.editOriginalInteractionResponse(record.token, a.data));
      }
      case "message.send": {
        const a = args as OperationArgs<"message.send">;
        await this.directory.assertChannelInGuild(guildId, a.channelId);
        return messageId(await this.rest.sendMessage(a.channelId, a.data));
      }
    }
  }
}
