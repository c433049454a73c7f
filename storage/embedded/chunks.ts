/**
 * Large byte strings on Deno KV, whose values are limited to 64 KiB: the
 * bytes are split across consecutive keys `[...prefix, 0]`, `[...prefix, 1]`…
 * and written in batches below the 800 KiB atomic-operation limit.
 *
 * @module
 */

import { write } from "./retry.ts";

/** Deno KV's per-value limit (bytes). */
export const KV_MAX_VALUE_BYTES = 65_536;
/** Bytes per chunk; leaves room below the limit. */
export const CHUNK_BYTES = 64_000;
/** Chunks per atomic write: 12 × 64 000 stays under the 819 200-byte mutation limit. */
const CHUNKS_PER_COMMIT = 12;

/** Splits `bytes` into chunk-sized views (at least one, possibly empty). */
export function splitChunks(bytes: Uint8Array, size = CHUNK_BYTES): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    out.push(bytes.subarray(offset, offset + size));
  }
  if (out.length === 0) out.push(new Uint8Array(0));
  return out;
}

/** Writes the chunks of `bytes` under `prefix`; returns the chunk count. */
export async function writeChunks(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  bytes: Uint8Array,
): Promise<number> {
  const chunks = splitChunks(bytes);
  for (let start = 0; start < chunks.length; start += CHUNKS_PER_COMMIT) {
    await write("write chunks", async () => {
      const op = kv.atomic();
      chunks.slice(start, start + CHUNKS_PER_COMMIT).forEach((chunk, i) => {
        op.set([...prefix, start + i], chunk);
      });
      const result = await op.commit();
      if (!result.ok) throw new Error("chunk write was rejected");
    });
  }
  return chunks.length;
}

/** Reads `count` chunks under `prefix` back into one byte string; null if any is missing. */
export async function readChunks(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  count: number,
): Promise<Uint8Array | null> {
  const parts: Uint8Array[] = [];
  for await (const entry of kv.list<Uint8Array>({ prefix }, { batchSize: 100 })) {
    const index = entry.key[entry.key.length - 1];
    if (index !== parts.length || !(entry.value instanceof Uint8Array)) return null;
    parts.push(entry.value);
  }
  if (parts.length !== count) return null;
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Deletes every chunk under `prefix` (best effort cleanup after a failed create). */
export async function deleteChunks(kv: Deno.Kv, prefix: Deno.KvKey): Promise<void> {
  for await (const entry of kv.list({ prefix })) {
    await write("delete chunk", () => kv.delete(entry.key));
  }
}
