/**
 * Input checks and helpers shared by the session, cache and rate-limit
 * backends (embedded and Redis), so both refuse the same input.
 *
 * @module
 */

import { base64url } from "./tokens_common.ts";
import { encodeJson } from "./guild_kv_limits.ts";
import { type JsonValue, type RateLimitResult, StorageInputError } from "./types.ts";

/** Largest cached or session value (JSON bytes); fits one Deno KV value. */
export const MAX_EPHEMERAL_VALUE_BYTES = 60 * 1024;
/** Longest TTL accepted for sessions, cache entries and rate-limit windows: 1 year. */
export const MAX_EPHEMERAL_TTL_MS = 365 * 24 * 3600 * 1000;

const encoder = new TextEncoder();
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A TTL in whole milliseconds (rounded up). */
export function checkTtl(ttlMs: number, what: string): number {
  if (
    typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0 ||
    ttlMs > MAX_EPHEMERAL_TTL_MS
  ) {
    throw new StorageInputError(
      `${what} must be a positive number of milliseconds ≤ ${MAX_EPHEMERAL_TTL_MS}`,
    );
  }
  return Math.ceil(ttlMs);
}

/** Cache and rate-limit keys: 1–512 UTF-8 bytes. */
export function checkEphemeralKey(key: string, what: string): void {
  if (typeof key !== "string" || key.length === 0) {
    throw new StorageInputError(`${what} must be a non-empty string`);
  }
  const bytes = encoder.encode(key).length;
  if (bytes > 512) throw new StorageInputError(`${what} is ${bytes} bytes; the limit is 512`);
}

/** Serialises a cache or session value within the size limit. */
export function encodeEphemeralValue(value: JsonValue, what: string): Uint8Array {
  return encodeJson(value, what, MAX_EPHEMERAL_VALUE_BYTES);
}

/** A new session id: 256 random bits, base64url. */
export function newSessionId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Whether `id` could be a session id (anything else is simply not found). */
export function isSessionId(id: string): boolean {
  return typeof id === "string" && SESSION_ID.test(id);
}

/** Checks a user id for a session. */
export function checkUserId(userId: string): void {
  if (typeof userId !== "string" || userId.length === 0 || userId.length > 256) {
    throw new StorageInputError("userId must be 1–256 characters");
  }
}

/** Checks rate-limit arguments; returns the current window's start and end. */
export function rateWindow(
  key: string,
  limit: number,
  windowMs: number,
  now: number,
): { start: number; resetAt: number } {
  checkEphemeralKey(key, "rate-limit key");
  if (!Number.isInteger(limit) || limit < 1) {
    throw new StorageInputError("limit must be a positive integer");
  }
  const window = checkTtl(windowMs, "windowMs");
  const start = Math.floor(now / window) * window;
  return { start, resetAt: start + window };
}

/**
 * A sliding-window decision from two fixed windows' counts: the previous
 * window's hits weigh in for the part of it still inside the sliding window
 * (`prev × (1 − elapsed)`), so no burst straddling a window boundary gets
 * twice the limit (the fixed windows let a client make 600 requests in 20 s
 * against a limit of 300 a minute). `prev` and `curr` are the counts before
 * this hit; only allowed hits are counted.
 *
 * @example
 * ```ts
 * // 10 hits in the last window, 2 ms into a 1 s window with a limit of 10: refused.
 * slidingWindow({ prev: 10, curr: 0, start: 1000, now: 1002, limit: 10, windowMs: 1000 }).allowed;
 * ```
 */
export function slidingWindow(input: {
  prev: number;
  curr: number;
  start: number;
  now: number;
  limit: number;
  windowMs: number;
}): RateLimitResult {
  const { prev, curr, start, now, limit, windowMs } = input;
  const weighted = prev * (1 - (now - start) / windowMs) + curr;
  if (weighted + 1 <= limit) {
    return {
      allowed: true,
      remaining: Math.max(0, Math.floor(limit - weighted - 1)),
      resetAt: start + windowMs,
    };
  }
  // When the next hit fits: later in this window as the previous one fades, or in the next.
  const resetAt = curr + 1 <= limit && prev > 0
    ? start + Math.ceil((1 - (limit - curr - 1) / prev) * windowMs)
    : start + windowMs + Math.ceil(Math.max(0, 1 - (limit - 1) / Math.max(curr, 1)) * windowMs);
  return { allowed: false, remaining: 0, resetAt: Math.max(resetAt, now + 1) };
}
