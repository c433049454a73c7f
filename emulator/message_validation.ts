/**
 * The checks Discord runs on a message body before anything else: content
 * and embed lengths, components, upload sizes, and whether there is anything
 * to post at all.
 *
 * @module
 */

import type { UploadedFile } from "./body.ts";
import { isRecord } from "./body.ts";
import { validateComponents } from "./components.ts";
import { DiscordError, invalidField } from "./errors.ts";

/** Largest upload per file in a guild without boosts, bytes (Discord: 10 MiB). */
export const ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024;
/** Most characters all of a message's embeds may hold together. */
const EMBED_TOTAL_LIMIT = 6000;

/**
 * Validates a message body's fields Discord checks before anything else;
 * `flags` are the message's flags after the change (for component rules).
 */
export function validateMessageBody(
  body: Record<string, unknown>,
  files: UploadedFile[],
  flags: number = typeof body.flags === "number" ? body.flags : 0,
): void {
  const content = body.content;
  if (content !== undefined && content !== null) {
    if (typeof content !== "string") {
      throw invalidField(["content"], "BASE_TYPE_STRING", "Must be a valid string.");
    }
    if (content.length > 2000) {
      throw invalidField(["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.");
    }
  }
  const embeds = body.embeds;
  if (embeds !== undefined && embeds !== null) {
    if (!Array.isArray(embeds)) {
      throw invalidField(["embeds"], "LIST_TYPE_CONVERT", "Must be an array.");
    }
    if (embeds.length > 10) {
      throw invalidField(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.");
    }
    const total = embeds.reduce((sum: number, embed) => sum + embedLength(embed), 0);
    if (total > EMBED_TOTAL_LIMIT) {
      throw invalidField(
        ["embeds"],
        "MAX_EMBED_SIZE_EXCEEDED",
        `Embed size exceeds maximum size of ${EMBED_TOTAL_LIMIT}`,
      );
    }
    embeds.forEach((embed, i) => {
      if (!isRecord(embed)) {
        throw invalidField(["embeds", i], "DICT_TYPE_CONVERT", "Only dictionaries may be used.");
      }
      if (typeof embed.title === "string" && embed.title.length > 256) {
        throw invalidField(
          ["embeds", i, "title"],
          "BASE_TYPE_MAX_LENGTH",
          "Must be 256 or fewer in length.",
        );
      }
      if (typeof embed.description === "string" && embed.description.length > 4096) {
        throw invalidField(
          ["embeds", i, "description"],
          "BASE_TYPE_MAX_LENGTH",
          "Must be 4096 or fewer in length.",
        );
      }
    });
  }
  if (
    body.components !== undefined && body.components !== null && !Array.isArray(body.components)
  ) {
    throw invalidField(["components"], "LIST_TYPE_CONVERT", "Must be an array.");
  }
  if (body.flags !== undefined && body.flags !== null && !Number.isInteger(body.flags)) {
    throw invalidField(["flags"], "NUMBER_TYPE_COERCE", "Value is not int.");
  }
  const allowed = body.allowed_mentions;
  if (isRecord(allowed) && Array.isArray(allowed.parse)) {
    for (const kind of ["users", "roles"] as const) {
      if (allowed.parse.includes(kind) && Array.isArray(allowed[kind]) && allowed[kind].length) {
        throw invalidField(
          ["allowed_mentions"],
          "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
          `parse:["${kind}"] and ${kind}: [ids...] are mutually exclusive.`,
        );
      }
    }
  }
  validateComponents(body.components, flags, body);
  const tooBig = files.find((file) => file.size > ATTACHMENT_SIZE_LIMIT);
  if (tooBig) {
    throw new DiscordError(413, { code: 40005, message: "Request entity too large" });
  }
}

/** The characters an embed counts toward the 6,000 limit (Discord's list of fields). */
function embedLength(embed: unknown): number {
  if (!isRecord(embed)) return 0;
  const text = (value: unknown) => typeof value === "string" ? value.length : 0;
  let length = text(embed.title) + text(embed.description);
  if (isRecord(embed.footer)) length += text(embed.footer.text);
  if (isRecord(embed.author)) length += text(embed.author.name);
  if (Array.isArray(embed.fields)) {
    for (const field of embed.fields) {
      if (isRecord(field)) length += text(field.name) + text(field.value);
    }
  }
  return length;
}

/** Whether a body carries something to show (content, embeds, components, stickers, a poll or files). */
export function hasPayload(body: Record<string, unknown>, files: UploadedFile[]): boolean {
  return (typeof body.content === "string" && body.content.length > 0) ||
    (Array.isArray(body.embeds) && body.embeds.length > 0) ||
    (Array.isArray(body.components) && body.components.length > 0) ||
    (Array.isArray(body.sticker_ids) && body.sticker_ids.length > 0) ||
    isRecord(body.poll) || files.length > 0;
}
