/**
 * Turns what a script passes to `reply()` into Discord's message body.
 *
 * @module
 */

import type { ReplyInput } from "./types.ts";

/** Discord's EPHEMERAL message flag. */
export const EPHEMERAL = 1 << 6;

/** Discord's limit on message content length. */
export const MAX_CONTENT = 2000;

/**
 * Builds a Discord message body (snake_case) from a string or reply options.
 *
 * @example
 * ```ts
 * toMessageBody({ content: "hi", ephemeral: true }); // { content: "hi", flags: 64 }
 * ```
 */
export function toMessageBody(input: ReplyInput): Record<string, unknown> {
  const options = typeof input === "string" ? { content: input } : input;
  if (options === null || typeof options !== "object") {
    throw new TypeError("reply expects a string or an options object");
  }
  const body: Record<string, unknown> = {};
  if (options.content !== undefined) {
    if (typeof options.content !== "string") throw new TypeError("content must be a string");
    if (options.content.length > MAX_CONTENT) {
      throw new RangeError(
        `content is ${options.content.length} characters; Discord allows at most ${MAX_CONTENT}`,
      );
    }
    body.content = options.content;
  }
  if (options.embeds !== undefined) body.embeds = options.embeds;
  if (options.components !== undefined) body.components = options.components;
  if (options.allowedMentions !== undefined) body.allowed_mentions = options.allowedMentions;
  const flags = (options.flags ?? 0) | (options.ephemeral ? EPHEMERAL : 0);
  if (flags !== 0) body.flags = flags;
  if (body.content === undefined && body.embeds === undefined && body.components === undefined) {
    throw new TypeError("a reply needs content, embeds or components");
  }
  return body;
}
