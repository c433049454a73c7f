/**
 * Gateway transport compression, as Discord does it: one compression stream
 * per connection (`compress=zlib-stream` or `compress=zstd-stream` in the
 * gateway URL), each payload flushed so it ends on a frame boundary
 * (`00 00 ff ff` for zlib) and sent as one binary message.
 *
 * `encoding=etf` stays unsupported on purpose: neither Discordeno nor
 * discord.js (`@discordjs/ws` only speaks JSON) nor Oceanic.js need it, and
 * ETF exists for Erlang-speaking clients; refusing it with a clear 400 is
 * more useful than an encoder no tested client exercises.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import zlib from "node:zlib";

/** Transport compression methods Discord offers (`compress=` in the gateway URL). */
export type TransportCompression = "zlib-stream" | "zstd-stream";

/** Reads `compress=`; null = none, undefined = a value Discord does not offer. */
export function parseCompression(value: string | null): TransportCompression | null | undefined {
  if (value === null) return null;
  return value === "zlib-stream" || value === "zstd-stream" ? value : undefined;
}

/** A connection's compression stream: payloads go in in order and come out in order. */
export class TransportCompressor {
  readonly method: TransportCompression;
  #stream: zlib.Deflate | zlib.ZstdCompress;
  #flushKind: number;
  /** The last queued payload; the next one waits for it so frames never reorder. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(method: TransportCompression) {
    this.method = method;
    if (method === "zlib-stream") {
      this.#stream = zlib.createDeflate();
      this.#flushKind = zlib.constants.Z_SYNC_FLUSH;
    } else {
      this.#stream = zlib.createZstdCompress();
      this.#flushKind = zlib.constants.ZSTD_e_flush;
    }
  }

  /**
   * The compressed bytes of one payload (a complete flush unit).
   *
   * @example
   * ```ts
   * const zlibStream = new TransportCompressor("zlib-stream");
   * const frame = await zlibStream.compress('{"op":10}'); // ends with 00 00 ff ff
   * ```
   */
  compress(text: string): Promise<Uint8Array> {
    const next = this.#tail.then(() => this.#flushOne(text));
    this.#tail = next.catch(() => {});
    return next;
  }

  /** Resolves once every queued payload has been compressed. */
  drained(): Promise<void> {
    return this.#tail.then(() => {});
  }

  /** Frees the stream (the connection is gone). */
  close(): void {
    this.#stream.destroy();
  }

  #flushOne(text: string): Promise<Uint8Array> {
    const stream = this.#stream;
    return new Promise((resolve, reject) => {
      stream.write(text);
      // Node's stream flush pushes all output before calling back; read() drains it.
      stream.flush(this.#flushKind, () => {
        const chunks: Buffer[] = [];
        let chunk: Buffer | null;
        while ((chunk = stream.read() as Buffer | null) !== null) chunks.push(chunk);
        if (stream.destroyed) reject(new Error("compression stream closed"));
        else resolve(new Uint8Array(Buffer.concat(chunks)));
      });
    });
  }
}
