/**
 * Turns what a script passes to `reply()` into Discord's message body,
 * checking Discord's limits first.
 *
 * @module
 */

import { checkEmbeds } from "./embeds.ts";
import type { Component, ReplyInput } from "./types.ts";

/** Discord's EPHEMERAL message flag. */
export const EPHEMERAL = 1 << 6;

/** Discord's IS_COMPONENTS_V2 message flag. */
export const COMPONENTS_V2 = 1 << 15;

/** Discord's limit on message content length. */
export const MAX_CONTENT = 2000;

/** Component types that exist only in Components V2 layouts. */
const V2_TYPES = new Set([9, 10, 11, 12, 13, 14, 17]);

function usesComponentsV2(components: readonly Component[]): boolean {
  return components.some((c) => V2_TYPES.has(c?.type));
}

/**
 * Builds a Discord message body (snake_case) from a string or reply options.
 *
 * @example
 * ```ts
 * toMessageBody({ content: "hi", ephemeral: true }); // { content: "hi", flags: 64 }
 * ```
 */
export function toMessageBody(
  input: ReplyInput,
  { allowEmpty = false }: { allowEmpty?: boolean } = {},
): Record<string, unknown> {
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
  if (options.embeds !== undefined) {
    checkEmbeds(options.embeds);
    body.embeds = options.embeds;
  }
  let flags = (options.flags ?? 0) | (options.ephemeral ? EPHEMERAL : 0);
  if (options.components !== undefined) {
    if (!Array.isArray(options.components)) throw new TypeError("components must be an array");
    body.components = options.components;
    if (usesComponentsV2(options.components)) {
      if (body.content || body.embeds) {
        throw new TypeError(
          "a Components V2 message (container, section, text…) cannot also have content or embeds; put the text in ui.text()",
        );
      }
      flags |= COMPONENTS_V2;
    }
  }
  if (options.allowedMentions !== undefined) body.allowed_mentions = options.allowedMentions;
  if (flags !== 0) body.flags = flags;
  if (
    !allowEmpty && body.content === undefined && body.embeds === undefined &&
    body.components === undefined
  ) {
    throw new TypeError("a reply needs content, embeds or components");
  }
  return body;
}
