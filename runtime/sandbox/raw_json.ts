/**
 * JSON texts kept as UTF-8 bytes outside the JS heap while they wait: the
 * host's backlog of gateway frames. Under load the host holds thousands of
 * queued events for seconds; kept as strings, each frame (≈ 0.8 KB) outlived
 * the young generation and was copied by every scavenge, then promoted and
 * compacted — the garbage collector was a quarter of the host's samples
 * through the emulator. Bytes in a shared chunk (an `ArrayBuffer`'s backing
 * store, which V8 never copies) cost the collector nothing, and they are
 * what the sandbox link writes anyway: the writer copies them as they are
 * (`NdjsonWriter`), instead of joining and encoding the text at each flush.
 *
 * @module
 */

import { isRawPart } from "./raw_part.ts";

/** New chunks hold this many bytes; a text that may need more gets one of its own. */
const CHUNK_BYTES = 64 * 1024;

/**
 * A JSON text's UTF-8 bytes, `bytes[start..end)`, holding no tab or newline
 * (so it may ride raw after an ndjson line). Made by {@linkcode RawJsonStore}.
 */
export class RawJson {
  constructor(
    /** The chunk it lives in (shared with other texts). */
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
  ) {}

  /** Bytes it takes. */
  get length(): number {
    return this.end - this.start;
  }

  /** Its bytes (a view into the chunk). */
  view(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }

  /** The text again. */
  text(): string {
    return decoder.decode(this.view());
  }
}

const decoder = new TextDecoder();

/**
 * Stores JSON texts as bytes, appended to a chunk until it is full. A chunk
 * is never reused: it is freed by the garbage collector once no text in it
 * is referenced, so a text's bytes can never change under it. A text held
 * long keeps its chunk (64 KiB) alive: at worst, one held event per chunk.
 *
 * @example
 * ```ts
 * const store = new RawJsonStore();
 * const raw = store.store('{"op":0,"d":{}}');
 * raw?.text(); // '{"op":0,"d":{}}'
 * store.store('{\n}'); // null: holds a newline
 * ```
 */
export class RawJsonStore {
  #encoder = new TextEncoder();
  #chunk = new Uint8Array(CHUNK_BYTES);
  #used = 0;

  /** The text as bytes; null when it holds a tab or a newline (it could not ride raw). */
  store(text: string): RawJson | null {
    if (!isRawPart(text)) return null;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const worst = text.length * 3;
    if (worst > CHUNK_BYTES) {
      const own = this.#encoder.encode(text);
      return new RawJson(own, 0, own.length);
    }
    if (this.#chunk.length - this.#used < worst) {
      this.#chunk = new Uint8Array(CHUNK_BYTES);
      this.#used = 0;
    }
    const start = this.#used;
    const { written } = this.#encoder.encodeInto(text, this.#chunk.subarray(start));
    this.#used = start + written;
    return new RawJson(this.#chunk, start, this.#used);
  }
}
