/**
 * The `ctx` a prefix command handler receives.
 *
 * @module
 */

import { call } from "./bridge.ts";
import { toMessageBody } from "./reply.ts";
import type { Message, PrefixContext } from "./types.ts";

/** Builds the context for a prefix command message. */
export function prefixContext<Args>(
  message: Message,
  argv: string[],
  args: Args,
): PrefixContext<Args> {
  return {
    message,
    guildId: message.guild_id ?? "",
    channelId: message.channel_id,
    author: message.author,
    args,
    argv,
    async reply(input) {
      const body = toMessageBody(input);
      body.message_reference = { message_id: message.id, fail_if_not_exists: false };
      const sent = await call("message.send", { channelId: message.channel_id, data: body }) as {
        id?: string;
      } | null;
      return { id: sent?.id };
    },
  };
}
