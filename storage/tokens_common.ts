/**
 * API token secrets and their hashes, shared by every TokenStore backend.
 *
 * A secret is `flora_<id>_<43 chars of base64url randomness>` (256 bits).
 * Because it is random and long, one SHA-256 is enough to store it safely
 * (slow password hashes are for low-entropy passwords), and verifying is a
 * lookup by hash rather than a comparison against every token.
 *
 * @module
 */

import { type NewApiToken, StorageInputError } from "./types.ts";

const SECRET = /^flora_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

/** A new secret for the token `id`. */
export function newTokenSecret(id: string): string {
  const random = crypto.getRandomValues(new Uint8Array(32));
  return `flora_${id}_${base64url(random)}`;
}

/** The token id inside a well-formed secret, or null for anything else. */
export function tokenIdOf(secret: string): string | null {
  if (typeof secret !== "string") return null;
  return SECRET.exec(secret)?.[1] ?? null;
}

/** Hex SHA-256 of the secret: what is stored and looked up. */
export async function hashTokenSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Checks a create request; returns the absolute expiry (epoch ms) if any. */
export function checkNewToken(input: NewApiToken, now: number): number | undefined {
  if (typeof input.name !== "string" || input.name.length === 0 || input.name.length > 100) {
    throw new StorageInputError("token name must be 1–100 characters");
  }
  if (
    !Array.isArray(input.scopes) ||
    input.scopes.length > 100 ||
    !input.scopes.every((s) => typeof s === "string" && s.length > 0 && s.length <= 200)
  ) {
    throw new StorageInputError("scopes must be a list of at most 100 non-empty strings");
  }
  if (input.ttlMs === undefined) return undefined;
  if (!Number.isFinite(input.ttlMs) || input.ttlMs <= 0) {
    throw new StorageInputError("ttlMs must be a positive number of milliseconds");
  }
  return now + Math.ceil(input.ttlMs);
}

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
