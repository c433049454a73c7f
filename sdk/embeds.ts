/**
 * Discord's embed limits, checked before anything is sent so a script gets
 * a message naming the field at fault instead of Discord's 400.
 *
 * @module
 */

import type { Embed } from "./types.ts";

/** Discord's documented embed limits. */
export const EMBED_LIMITS = {
  embeds: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  authorName: 256,
  /** Sum of every text field of every embed in one message. */
  total: 6000,
} as const;

function text(value: unknown, path: string, max: number, required = false): number {
  if (value === undefined && !required) return 0;
  if (typeof value !== "string") throw new TypeError(`${path} must be a string`);
  if (required && value.length === 0) throw new RangeError(`${path} must not be empty`);
  if (value.length > max) {
    throw new RangeError(
      `${path} is ${value.length} characters; Discord allows at most ${max}`,
    );
  }
  return value.length;
}

/**
 * Throws a RangeError/TypeError naming the first limit the embeds break.
 *
 * @example
 * ```ts
 * checkEmbeds([{ title: "x".repeat(300) }]); // RangeError: embeds[0].title is 300 characters; …
 * ```
 */
export function checkEmbeds(embeds: readonly Embed[]): void {
  if (!Array.isArray(embeds)) throw new TypeError("embeds must be an array");
  if (embeds.length > EMBED_LIMITS.embeds) {
    throw new RangeError(
      `a message has ${embeds.length} embeds; Discord allows at most ${EMBED_LIMITS.embeds}`,
    );
  }
  let total = 0;
  embeds.forEach((embed, i) => {
    const at = `embeds[${i}]`;
    if (typeof embed !== "object" || embed === null) throw new TypeError(`${at} must be an object`);
    total += text(embed.title, `${at}.title`, EMBED_LIMITS.title);
    total += text(embed.description, `${at}.description`, EMBED_LIMITS.description);
    if (embed.footer) {
      total += text(embed.footer.text, `${at}.footer.text`, EMBED_LIMITS.footerText, true);
    }
    if (embed.author) {
      total += text(embed.author.name, `${at}.author.name`, EMBED_LIMITS.authorName, true);
    }
    if (
      embed.color !== undefined &&
      (!Number.isInteger(embed.color) || embed.color < 0 || embed.color > 0xffffff)
    ) {
      throw new RangeError(`${at}.color must be an integer from 0 to 0xFFFFFF`);
    }
    const fields: NonNullable<Embed["fields"]> = embed.fields ?? [];
    if (fields.length > EMBED_LIMITS.fields) {
      throw new RangeError(
        `${at} has ${fields.length} fields; Discord allows at most ${EMBED_LIMITS.fields}`,
      );
    }
    fields.forEach((field, j) => {
      total += text(field?.name, `${at}.fields[${j}].name`, EMBED_LIMITS.fieldName, true);
      total += text(field?.value, `${at}.fields[${j}].value`, EMBED_LIMITS.fieldValue, true);
    });
  });
  if (total > EMBED_LIMITS.total) {
    throw new RangeError(
      `the embeds hold ${total} characters in total; Discord allows at most ${EMBED_LIMITS.total}`,
    );
  }
}
