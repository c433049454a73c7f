/**
 * Small JSON helpers shared by the control API modules: required string
 * fields and body parsing with Discord-shaped errors.
 *
 * @module
 */

import type { Context } from "hono";
import { isRecord } from "./body.ts";
import { DiscordError, ErrorCodes, invalidField } from "./errors.ts";

/** A required, non-empty string field. */
export function str(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== "string" || value === "") {
    throw invalidField([key], "BASE_TYPE_REQUIRED", "This field is required");
  }
  return value;
}

export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DiscordError(400, {
      code: 50109,
      message: "The request body contains invalid JSON.",
    });
  }
  if (!isRecord(value)) throw new DiscordError(400, ErrorCodes.InvalidFormBody);
  return value;
}
