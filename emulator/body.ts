/**
 * Request bodies as Discord accepts them: JSON, or multipart/form-data with
 * a `payload_json` part and `files[n]` parts (what Discordeno and discord.js
 * send when a message carries attachments).
 *
 * @module
 */

import { DiscordError, ErrorCodes } from "./errors.ts";

/** An uploaded file from a multipart body. */
export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface ParsedBody {
  json: unknown;
  files: UploadedFile[];
}

/** Parses a request body; malformed JSON is Discord's 400 code 50109. */
export async function parseBody(request: Request): Promise<ParsedBody> {
  const type = request.headers.get("content-type") ?? "";
  if (type.startsWith("multipart/form-data")) {
    const form = await request.formData();
    let json: unknown = {};
    const files: UploadedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (field === "payload_json" && typeof value === "string") {
        json = parseJson(value);
      } else if (typeof value !== "string") {
        files.push({
          field,
          filename: value.name,
          contentType: value.type || "application/octet-stream",
          size: value.size,
        });
      }
    }
    return { json, files };
  }
  const text = await request.text();
  if (text.trim() === "") return { json: null, files: [] };
  return { json: parseJson(text), files: [] };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DiscordError(400, {
      code: 50109,
      message: "The request body contains invalid JSON.",
    });
  }
}

/** Narrowing helpers for untyped JSON bodies. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The body as an object, or 400 Invalid Form Body when it is not one. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || body === undefined) return {};
  if (!isRecord(body)) {
    throw new DiscordError(400, ErrorCodes.InvalidFormBody, {
      _errors: [{
        code: "DICT_TYPE_CONVERT",
        message: "Only dictionaries may be used in a DictType",
      }],
    });
  }
  return body;
}
