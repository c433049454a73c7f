/**
 * Answers to interactions the guild received, always with the token Discord
 * gave the host for that guild's interaction.
 *
 * @module
 */

import type { OperationHandlers } from "./context.ts";
import { unwrapFenced } from "./discord_request.ts";

function messageId(result: unknown): { id?: string } {
  const id = (result as { id?: unknown } | undefined)?.id;
  return typeof id === "string" || typeof id === "bigint" ? { id: String(id) } : {};
}

type InteractionOp =
  | "interaction.respond"
  | "interaction.followUp"
  | "interaction.editReply"
  | "interaction.deleteReply";

export const interactionOperations: OperationHandlers<InteractionOp> = {
  "interaction.respond": async (ctx, a) => {
    await ctx.scope.messageBody(a.data);
    const record = ctx.interactions.forGuild(ctx.guildId, a.interactionId);
    await unwrapFenced(ctx.interactionRest.sendInteractionResponse(record.id, record.token, {
      type: a.type,
      data: a.data,
    }));
    return null;
  },
  "interaction.followUp": async (ctx, a) => {
    await ctx.scope.messageBody(a.data);
    const record = ctx.interactions.forGuild(ctx.guildId, a.interactionId);
    return messageId(
      await unwrapFenced(ctx.interactionRest.sendFollowupMessage(record.token, a.data)),
    );
  },
  "interaction.editReply": async (ctx, a) => {
    await ctx.scope.messageBody(a.data);
    const record = ctx.interactions.forGuild(ctx.guildId, a.interactionId);
    return messageId(
      await unwrapFenced(ctx.interactionRest.editOriginalInteractionResponse(record.token, a.data)),
    );
  },
  "interaction.deleteReply": async (ctx, a) => {
    const record = ctx.interactions.forGuild(ctx.guildId, a.interactionId);
    await unwrapFenced(ctx.interactionRest.deleteOriginalInteractionResponse(record.token));
    return null;
  },
};
