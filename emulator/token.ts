/**
 * Bot tokens shaped like Discord's: `base64(bot user id).timestamp.hmac`.
 * Clients (Discordeno's `getBotIdFromToken`) derive the application id from
 * the first segment, so it must decode to the emulated bot's id.
 *
 * @module
 */

import { isSnowflake } from "./snowflake.ts";

function randomSegment(bytes: number): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...data)).replaceAll("+", "-").replaceAll("/", "_")
    .replaceAll("=", "");
}

/** A fresh token for a bot user id. */
export function makeToken(botUserId: string): string {
  return `${btoa(botUserId).replaceAll("=", "")}.${randomSegment(4)}.${randomSegment(27)}`;
}

/** The bot user id a token encodes, if its first segment is a base64 snowflake. */
export function botIdFromToken(token: string): string | undefined {
  try {
    const id = atob(token.split(".")[0]);
    return isSnowflake(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
