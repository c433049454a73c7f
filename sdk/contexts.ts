/**
 * The `ctx` objects handlers receive: each method is one host operation.
 *
 * @module
 */

import { call } from "./bridge.ts";
import { EPHEMERAL, toMessageBody } from "./reply.ts";
import type {
  Interaction,
  InteractionOption,
  Message,
  OptionValue,
  PrefixContext,
  ReplyInput,
  SlashContext,
  User,
} from "./types.ts";

/** Discord interaction callback types. */
const CHANNEL_MESSAGE = 4;
const DEFERRED_CHANNEL_MESSAGE = 5;

function flattenOptions(options: InteractionOption[] | undefined): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const option of options ?? []) {
    if (option.value !== undefined) out[option.name] = option.value;
  }
  return out;
}

/** Builds the context for a slash command interaction. */
export function slashContext(interaction: Interaction): SlashContext {
  const user = (interaction.member?.user ?? interaction.user) as User;
  const interactionId = interaction.id;
  return {
    interaction,
    guildId: interaction.guild_id ?? "",
    channelId: interaction.channel_id ?? "",
    user,
    member: interaction.member,
    options: flattenOptions(interaction.data?.options),
    async reply(input: ReplyInput) {
      await call("interaction.respond", {
        interactionId,
        type: CHANNEL_MESSAGE,
        data: toMessageBody(input),
      });
    },
    async defer(options?: { ephemeral?: boolean }) {
      await call("interaction.respond", {
        interactionId,
        type: DEFERRED_CHANNEL_MESSAGE,
        data: options?.ephemeral ? { flags: EPHEMERAL } : undefined,
      });
    },
    async editReply(input: ReplyInput) {
      await call("interaction.editReply", { interactionId, data: toMessageBody(input) });
    },
    async followUp(input: ReplyInput) {
      await call("interaction.followUp", { interactionId, data: toMessageBody(input) });
    },
  };
}

/** Builds the context for a prefix command message. */
export function prefixContext(message: Message, args: string[]): PrefixContext {
  return {
    message,
    guildId: message.guild_id ?? "",
    channelId: message.channel_id,
    author: message.author,
    args,
    async reply(input: ReplyInput) {
      const body = toMessageBody(input);
      body.message_reference = { message_id: message.id, fail_if_not_exists: false };
      await call("message.send", { channelId: message.channel_id, data: body });
    },
  };
}
