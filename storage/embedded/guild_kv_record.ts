/**
 * Binary form of one guild KV entry. A value (≤ 64 KiB JSON) plus metadata
 * (≤ 1 KiB) can exceed Deno KV's 65 536-byte value limit, so a record is a
 * byte string split into at most two parts: the head under the entry's own
 * key and the tail under an overflow key, written in the same commit.
 *
 * Layout: version (1) · flags (1) · expiresAt f64 (8) · metadata length u32 (4)
 * · value length u32 (4) · metadata JSON · value JSON.
 *
 * @module
 */

import type { JsonValue } from "../types.ts";
import { KV_MAX_VALUE_BYTES } from "./chunks.ts";

const FORMAT = 1;
const HAS_METADATA = 1;
const HAS_EXPIRY = 2;
const HEADER_BYTES = 18;

/** A decoded entry (without key and version, which come from Deno KV). */
export interface EntryRecord {
  value: JsonValue;
  metadata?: JsonValue;
  expiresAt?: number;
}

const decoder = new TextDecoder();

/** Encodes already-serialised JSON parts into the record bytes. */
export function encodeRecord(
  value: Uint8Array,
  metadata: Uint8Array | undefined,
  expiresAt: number | undefined,
): Uint8Array {
  const metaLength = metadata?.length ?? 0;
  const out = new Uint8Array(HEADER_BYTES + metaLength + value.length);
  const view = new DataView(out.buffer);
  out[0] = FORMAT;
  out[1] = (metadata ? HAS_METADATA : 0) | (expiresAt !== undefined ? HAS_EXPIRY : 0);
  view.setFloat64(2, expiresAt ?? 0);
  view.setUint32(10, metaLength);
  view.setUint32(14, value.length);
  if (metadata) out.set(metadata, HEADER_BYTES);
  out.set(value, HEADER_BYTES + metaLength);
  return out;
}

/** Splits record bytes into the head and an optional overflow tail. */
export function splitRecord(bytes: Uint8Array): { head: Uint8Array; tail?: Uint8Array } {
  if (bytes.length <= KV_MAX_VALUE_BYTES) return { head: bytes };
  return {
    head: bytes.subarray(0, KV_MAX_VALUE_BYTES),
    tail: bytes.subarray(KV_MAX_VALUE_BYTES),
  };
}

/** Total record length declared by a head, to know whether a tail is needed. */
export function recordLength(head: Uint8Array): number {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return HEADER_BYTES + view.getUint32(10) + view.getUint32(14);
}

/** Whether the head alone holds the whole record. */
export function isComplete(head: Uint8Array): boolean {
  return recordLength(head) <= head.length;
}

/** The expiry stored in a head (readable without the tail). */
export function expiryOf(head: Uint8Array): number | undefined {
  if ((head[1] & HAS_EXPIRY) === 0) return undefined;
  return new DataView(head.buffer, head.byteOffset, head.byteLength).getFloat64(2);
}

/** Decodes a record from its head and (when needed) tail. */
export function decodeRecord(head: Uint8Array, tail: Uint8Array | null): EntryRecord {
  if (head[0] !== FORMAT) throw new Error(`unknown guild KV record format ${head[0]}`);
  let bytes = head;
  if (!isComplete(head)) {
    if (tail === null) throw new Error("guild KV record is missing its overflow part");
    bytes = new Uint8Array(head.length + tail.length);
    bytes.set(head);
    bytes.set(tail, head.length);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const metaLength = view.getUint32(10);
  const valueLength = view.getUint32(14);
  const valueStart = HEADER_BYTES + metaLength;
  const record: EntryRecord = {
    value: JSON.parse(decoder.decode(bytes.subarray(valueStart, valueStart + valueLength))),
  };
  if (bytes[1] & HAS_METADATA) {
    record.metadata = JSON.parse(decoder.decode(bytes.subarray(HEADER_BYTES, valueStart)));
  }
  const expiresAt = expiryOf(bytes);
  if (expiresAt !== undefined) record.expiresAt = expiresAt;
  return record;
}
