/**
 * Pieces of the guild KV shared by its read, write and sweep paths: the key
 * layout, what is stored beside each entry, and how a stored record becomes
 * the entry callers see.
 *
 * @module
 */

import type { KvEntry } from "../types.ts";
import { decodeRecord, type EntryRecord, expiryOf, isComplete } from "./guild_kv_record.ts";

/** What `["gkvacct", g, s, k]` holds. */
export interface Accounting {
  size: number;
  expiresAt?: number;
}

/** Everything one write or delete reads, with versionstamps for the commit checks. */
export interface EntryState {
  head: Deno.KvEntryMaybe<Uint8Array>;
  tail: Deno.KvEntryMaybe<Uint8Array>;
  acct: Deno.KvEntryMaybe<Accounting>;
  bytes: Deno.KvEntryMaybe<number>;
  count: Deno.KvEntryMaybe<number>;
  /** The entry as callers see it: null when absent or expired. */
  live: KvEntry | null;
}

export const entryKey = (g: string, s: string, k: string): Deno.KvKey => ["gkv", g, s, k];
export const tailKey = (g: string, s: string, k: string): Deno.KvKey => ["gkvtail", g, s, k];
export const acctKey = (g: string, s: string, k: string): Deno.KvKey => ["gkvacct", g, s, k];
export const ttlKey = (g: string, at: number, s: string, k: string): Deno.KvKey => [
  "gkvttl",
  g,
  at,
  s,
  k,
];
export const bytesKey = (g: string): Deno.KvKey => ["gkvuse", g, "bytes"];
export const countKey = (g: string, s: string): Deno.KvKey => ["gkvuse", g, "count", s];

export const NO_TAIL: Deno.KvEntryMaybe<Uint8Array> = { key: [], value: null, versionstamp: null };

/**
 * The entry callers see: null when absent or expired; undefined when the head
 * needs a tail that belongs to another commit (read again).
 */
export function toLive(
  key: string,
  head: Deno.KvEntryMaybe<Uint8Array>,
  tail: Deno.KvEntryMaybe<Uint8Array>,
  now: number,
  ignoreTail = false,
): KvEntry | null | undefined {
  if (head.value === null || head.versionstamp === null) return null;
  const expiresAt = expiryOf(head.value);
  // Deno KV drops expired entries lazily; the stored expiry is authoritative.
  if (expiresAt !== undefined && expiresAt <= now) return null;
  if (ignoreTail) return liveWithoutValue(key, head, expiresAt);
  if (!isComplete(head.value) && tail.versionstamp !== head.versionstamp) return undefined;
  const record: EntryRecord = decodeRecord(head.value, tail.value);
  return {
    key,
    value: record.value,
    ...(record.metadata === undefined ? {} : { metadata: record.metadata }),
    ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
    version: head.versionstamp,
  };
}

/** Used by the sweep, which needs only presence, not the value. */
function liveWithoutValue(
  key: string,
  head: Deno.KvEntry<Uint8Array>,
  expiresAt: number | undefined,
): KvEntry {
  return {
    key,
    value: null,
    ...(expiresAt === undefined ? {} : { expiresAt }),
    version: head.versionstamp,
  };
}
