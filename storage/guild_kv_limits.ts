/**
 * Limits of the per-guild KV and the checks that enforce them. Scripts are
 * untrusted, so every message says what to change.
 *
 * @module
 */

import {
  type JsonValue,
  type KvListOptions,
  type KvSetOptions,
  StorageInputError,
} from "./types.ts";

/** Per-guild quotas; configurable per deployment of flora. */
export interface GuildKvQuota {
  /** Most entries one store may hold. Default 10 000. */
  maxEntriesPerStore: number;
  /** Most bytes (keys + values + metadata) one guild may hold. Default 32 MiB. */
  maxGuildBytes: number;
  /** Most writes (set, delete, compare-and-set, increment) per guild per minute. Default 6 000. */
  maxWritesPerMinute: number;
}

export const DEFAULT_GUILD_KV_QUOTA: GuildKvQuota = {
  maxEntriesPerStore: 10_000,
  maxGuildBytes: 32 * 1024 * 1024,
  maxWritesPerMinute: 6_000,
};

export const MAX_KEY_BYTES = 512;
export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_METADATA_BYTES = 1024;
export const MAX_GUILD_ID_CHARS = 128;
/** Longest accepted TTL: about 10 years, so `Date.now() + ttl` stays exact. */
export const MAX_TTL_MS = 10 * 365 * 24 * 3600 * 1000;

const STORE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const encoder = new TextEncoder();

export function checkGuildId(guildId: string): void {
  if (typeof guildId !== "string" || guildId.length === 0 || guildId.length > MAX_GUILD_ID_CHARS) {
    throw new StorageInputError(`guild id must be 1–${MAX_GUILD_ID_CHARS} characters`);
  }
}

export function checkStoreName(store: string): void {
  if (typeof store !== "string" || !STORE_NAME.test(store)) {
    throw new StorageInputError(
      `store name ${
        JSON.stringify(store)
      } is invalid: use 1–64 characters from A–Z, a–z, 0–9, "_", "." and "-"`,
    );
  }
}

/** Checks a key and returns its UTF-8 length. */
export function checkKey(key: string): number {
  if (typeof key !== "string" || key.length === 0) {
    throw new StorageInputError("key must be a non-empty string");
  }
  const bytes = encoder.encode(key).length;
  if (bytes > MAX_KEY_BYTES) {
    throw new StorageInputError(`key is ${bytes} bytes in UTF-8; the limit is ${MAX_KEY_BYTES}`);
  }
  return bytes;
}

/** Serialises a JSON value, refusing what JSON cannot represent faithfully. */
export function encodeJson(value: JsonValue, what: string, max: number): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) {
        throw new StorageInputError(`${what} contains ${v}, which JSON cannot represent`);
      }
      if (typeof v === "bigint" || typeof v === "function" || typeof v === "symbol") {
        throw new StorageInputError(`${what} contains a ${typeof v}, which is not JSON`);
      }
      return v;
    });
  } catch (error) {
    if (error instanceof StorageInputError) throw error;
    throw new StorageInputError(`${what} is not serialisable as JSON: ${String(error)}`);
  }
  if (text === undefined) throw new StorageInputError(`${what} must be a JSON value`);
  const bytes = encoder.encode(text);
  if (bytes.length > max) {
    throw new StorageInputError(
      `${what} is ${bytes.length} bytes as JSON; the limit is ${max} bytes`,
    );
  }
  return bytes;
}

/** Checks set options; returns the absolute expiry (epoch ms) if a TTL was given. */
export function checkSetOptions(options: KvSetOptions | undefined, now: number): {
  expiresAt?: number;
  metadata?: Uint8Array;
} {
  const out: { expiresAt?: number; metadata?: Uint8Array } = {};
  if (options?.ttlMs !== undefined) {
    const ttl = options.ttlMs;
    if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_TTL_MS) {
      throw new StorageInputError(
        `ttlMs must be a positive number of milliseconds ≤ ${MAX_TTL_MS}`,
      );
    }
    out.expiresAt = now + Math.ceil(ttl);
  }
  if (options?.metadata !== undefined) {
    out.metadata = encodeJson(options.metadata, "metadata", MAX_METADATA_BYTES);
  }
  return out;
}

/** Checks a list prefix (same length rule as keys, but may be empty). */
export function checkPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "") return "";
  if (typeof prefix !== "string") throw new StorageInputError("prefix must be a string");
  const bytes = encoder.encode(prefix).length;
  if (bytes > MAX_KEY_BYTES) {
    throw new StorageInputError(`prefix is ${bytes} bytes; the limit is ${MAX_KEY_BYTES}`);
  }
  return prefix;
}

/** Checks a list page size (1–1000, default 100). */
export function checkPageLimit(limit: number | undefined): number {
  const value = limit ?? 100;
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw new StorageInputError("limit must be an integer from 1 to 1000");
  }
  return value;
}

/**
 * Checks a `list` call's address and options: the page's prefix and size.
 *
 * @example
 * ```ts
 * checkListArgs("123", "scores", { prefix: "a" }); // { prefix: "a", limit: 100 }
 * ```
 */
export function checkListArgs(
  guildId: string,
  store: string,
  options: KvListOptions,
): { prefix: string; limit: number } {
  checkGuildId(guildId);
  checkStoreName(store);
  return { prefix: checkPrefix(options.prefix), limit: checkPageLimit(options.limit) };
}

/** Checks the amount passed to `increment`. */
export function checkIncrement(by: number): void {
  if (typeof by !== "number" || !Number.isFinite(by)) {
    throw new StorageInputError("increment amount must be a finite number");
  }
}
