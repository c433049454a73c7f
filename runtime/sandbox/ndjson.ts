/**
 * Newline-delimited JSON over bytes: how the host and its sandbox processes
 * talk (over a Unix socket or stdio, see `host_link.ts`). JSON escapes
 * newlines inside strings, so one line is always one message.
 *
 * @module
 */

import type { RawJson } from "./raw_json.ts";
import { isRawPart } from "./raw_part.ts";

/**
 * Reads JSON values, one per line. A line that is not JSON is reported to
 * `onInvalid` and skipped rather than ending the stream. Each chunk is split
 * and parsed in one go (no per-line stream stages: this is the hot path of
 * every event between the host and its sandbox processes).
 *
 * @example
 * ```ts
 * for await (const message of readNdjson(Deno.stdin.readable)) console.log(message);
 * ```
 */
export async function* readNdjson(
  source: ByteSource,
  onInvalid: (line: string, error: unknown) => void = () => {},
): AsyncGenerator<unknown> {
  for await (const values of readLines(source, JSON.parse, onInvalid)) yield* values;
}

/**
 * Like {@linkcode readNdjson}, a chunk's values at once (never empty): a
 * reader on the hot path saves a step of the generator per message.
 *
 * @example
 * ```ts
 * for await (const messages of readNdjsonBatches(conn)) for (const m of messages) handle(m);
 * ```
 */
export function readNdjsonBatches(
  source: ByteSource,
  onInvalid: (line: string, error: unknown) => void = () => {},
): AsyncGenerator<unknown[]> {
  return readLines(source, JSON.parse, onInvalid);
}

/** A line's value, and the raw JSON texts that followed it (see {@linkcode NdjsonWriter.write}). */
export interface LineWithRaw {
  value: unknown;
  /** Empty when the line carried none. */
  raw: string[];
}

/**
 * Like {@linkcode readNdjsonBatches}, for lines that may carry raw JSON texts
 * after their value: those come back as the text they were, unparsed.
 *
 * @example
 * ```ts
 * for await (const lines of readNdjsonWithRaw(conn)) for (const { value, raw } of lines) handle(value, raw);
 * ```
 */
export function readNdjsonWithRaw(
  source: ByteSource,
  onInvalid: (line: string, error: unknown) => void = () => {},
): AsyncGenerator<LineWithRaw[]> {
  return readLines(source, splitRaw, onInvalid);
}

/** Separates a line's value from the raw texts after it (a tab never occurs raw in JSON.stringify's output). */
function splitRaw(line: string): LineWithRaw {
  const tab = line.indexOf("\t");
  if (tab === -1) return { value: JSON.parse(line), raw: [] };
  return { value: JSON.parse(line.slice(0, tab)), raw: line.slice(tab + 1).split("\t") };
}

/** Each chunk's lines, parsed (chunks with no whole line yield nothing). */
async function* readLines<T>(
  source: ByteSource,
  parse: (line: string) => T,
  onInvalid: (line: string, error: unknown) => void,
): AsyncGenerator<T[]> {
  const chunks = chunksOf(source);
  const decoder = new TextDecoder();
  let rest = "";
  let parsed: T[] = [];
  const take = (line: string) => {
    try {
      parsed.push(parse(line));
    } catch (error) {
      onInvalid(line, error);
    }
  };
  try {
    while (true) {
      const value = await chunks.next();
      if (value === null) break;
      const text = rest + decoder.decode(value, { stream: true });
      let start = 0;
      for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
        if (end > start) take(text.slice(start, end));
        start = end + 1;
      }
      rest = text.slice(start);
      if (parsed.length > 0) yield parsed;
      parsed = [];
    }
    rest += decoder.decode();
    if (rest.length > 0) take(rest);
    if (parsed.length > 0) yield parsed;
  } finally {
    chunks.release();
  }
}

/**
 * Bytes to read: a stream, or a connection read directly (`Deno.Conn`). A
 * connection skips the stream machinery's promise hops on every chunk,
 * ≈ 10 µs a message each way between two processes (see `host_link.ts`).
 */
export type ByteSource = ReadableStream<Uint8Array> | {
  read(buffer: Uint8Array): Promise<number | null>;
};

/**
 * Where bytes go: a stream, or a connection written directly (`Deno.Conn`;
 * writes may be partial). Closing a connection closes only its sending
 * side, so the other end can still say what it has left to say; whoever
 * reads it closes it once it has read to the end.
 */
export type ByteSink = WritableStream<Uint8Array> | {
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
};

/** Reads a source chunk by chunk; a chunk is valid until the next call. */
function chunksOf(source: ByteSource): { next(): Promise<Uint8Array | null>; release(): void } {
  if (source instanceof ReadableStream) {
    const reader = source.getReader();
    return {
      next: async () => {
        const { value, done } = await reader.read();
        return done ? null : value;
      },
      release: () => reader.releaseLock(),
    };
  }
  const buffer = new Uint8Array(64 * 1024);
  return {
    next: async () => {
      const n = await source.read(buffer);
      return n === null ? null : buffer.subarray(0, n);
    },
    release: () => {},
  };
}

/** The reused write buffer starts this large, bytes, and grows up to {@link MAX_BUFFER}. */
const MIN_BUFFER = 64 * 1024;
/** Writes that may need more are encoded into a buffer of their own (rare: a worker's script). */
const MAX_BUFFER = 1024 * 1024;
const TAB = 0x09;
const NEWLINE = 0x0a;

/** A raw part of a line: JSON text, or its bytes kept by a `RawJsonStore` (`raw_json.ts`). */
export type RawPart = string | RawJson;

/** A queued line: its whole text, or its value's text and raw parts that include bytes. */
type PendingLine = string | { head: string; raw: readonly RawPart[] };

/**
 * Writes JSON values one per line, coalescing messages queued in the same
 * tick into one write (events arrive in bursts; one syscall per burst).
 */
export class NdjsonWriter {
  #sink: { write(bytes: Uint8Array): Promise<void>; close(): Promise<void> };
  #encoder = new TextEncoder();
  /**
   * Reused for every write to a connection (a write finishes before the next
   * starts): allocating a fresh buffer per write cost ≈ 6× the encoding itself.
   * Null for a stream, which may hold on to what it was given.
   */
  #buffer: Uint8Array | null = null;
  #pending: PendingLine[] = [];
  #flushing: Promise<void> | null = null;
  /** `#flushing`, never rejecting (what {@linkcode post} returns). */
  #posted: Promise<void> | null = null;
  #closed = false;

  constructor(sink: ByteSink) {
    if (sink instanceof WritableStream) {
      const writer = sink.getWriter();
      this.#sink = { write: (bytes) => writer.write(bytes), close: () => writer.close() };
    } else {
      this.#buffer = new Uint8Array(MIN_BUFFER);
      this.#sink = {
        write: async (bytes) => {
          for (let at = 0; at < bytes.length;) at += await sink.write(bytes.subarray(at));
        },
        close: () => sink.closeWrite(),
      };
    }
  }

  /**
   * Queues a value; resolves once it has been handed to the stream. `raw`
   * JSON texts (each {@linkcode isRawPart}, or bytes a `RawJsonStore` (`raw_json.ts`)
   * kept) follow it on its line as they are, tab-separated, for
   * {@linkcode readNdjsonWithRaw}: a text received as JSON crosses without
   * being parsed and serialised again.
   */
  write(value: unknown, raw?: readonly RawPart[]): Promise<void> {
    const refused = this.#queue(value, raw);
    return refused ? Promise.reject(refused) : this.#flushing!;
  }

  /**
   * Like {@linkcode write}, for a sender that does not need to know how it
   * went: never rejects, and shares one promise with every message of the
   * same flush (a sender per event would otherwise make one each).
   */
  post(value: unknown, raw?: readonly RawPart[]): Promise<void> {
    return this.#queue(value, raw) ? Promise.resolve() : this.#posted!;
  }

  /** Queues a message for the next flush; the reason when it cannot be. */
  #queue(value: unknown, raw: readonly RawPart[] | undefined): Error | null {
    if (this.#closed) return new Error("ndjson writer is closed");
    if (raw === undefined || raw.length === 0) this.#pending.push(JSON.stringify(value));
    else if (!raw.every((part) => typeof part !== "string" || isRawPart(part))) {
      return new RangeError("a raw JSON text holds a tab or a newline");
    } else if (raw.every((part) => typeof part === "string")) {
      this.#pending.push(JSON.stringify(value) + "\t" + raw.join("\t"));
    } else this.#pending.push({ head: JSON.stringify(value), raw });
    if (!this.#flushing) {
      this.#flushing = this.#flush();
      this.#posted = this.#flushing.catch(() => {});
    }
    return null;
  }

  async #flush(): Promise<void> {
    // Let the rest of this tick queue more messages first.
    await Promise.resolve();
    try {
      while (this.#pending.length > 0) await this.#sink.write(this.#next());
    } finally {
      this.#flushing = null;
    }
  }

  /**
   * The next write: the pending lines that fit the reused buffer (at least
   * one), as UTF-8. A burst past it (thousands of events queued in one tick)
   * goes in several writes: encoding it whole into a fresh buffer cost ≈ 3×
   * as much per line, and the host's GC paid for each multi-megabyte buffer.
   */
  #next(): Uint8Array {
    const pending = this.#pending;
    const budget = this.#buffer ? MAX_BUFFER : Infinity;
    let n = 1;
    let worst = worstBytes(pending[0]);
    for (; n < pending.length; n++) {
      const bytes = worstBytes(pending[n]);
      if (worst + bytes > budget) break;
      worst += bytes;
    }
    const lines = n === pending.length ? pending : pending.splice(0, n);
    if (lines === pending) this.#pending = [];
    let buffer = this.#buffer;
    if (!buffer || worst > MAX_BUFFER) return this.#encoder.encode(linesText(lines));
    if (worst > buffer.length) {
      buffer = this.#buffer = new Uint8Array(
        Math.min(MAX_BUFFER, Math.max(worst, buffer.length * 2)),
      );
    }
    return this.#encodeInto(lines, buffer);
  }

  /**
   * Lines as UTF-8 into the reused buffer: runs of whole-text lines in one
   * `encodeInto`, kept bytes copied as they are.
   */
  #encodeInto(lines: readonly PendingLine[], buffer: Uint8Array): Uint8Array {
    let at = 0;
    const text = (t: string) => (at += this.#encoder.encodeInto(t, buffer.subarray(at)).written);
    let run: string[] = [];
    for (const line of lines) {
      if (typeof line === "string") {
        run.push(line);
        continue;
      }
      if (run.length > 0) text(run.join("\n") + "\n");
      run = [];
      text(line.head);
      for (const part of line.raw) {
        buffer[at++] = TAB;
        if (typeof part === "string") text(part);
        else {
          buffer.set(part.view(), at);
          at += part.length;
        }
      }
      buffer[at++] = NEWLINE;
    }
    if (run.length > 0) text(run.join("\n") + "\n");
    return buffer.subarray(0, at);
  }

  /** Flushes and closes the underlying stream. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#flushing) await this.#flushing.catch(() => {});
    this.#closed = true;
    await this.#sink.close().catch(() => {});
  }
}

/** Most bytes a line may take as UTF-8, its newline included (≤ 3 per UTF-16 code unit). */
function worstBytes(line: PendingLine): number {
  if (typeof line === "string") return line.length * 3 + 1;
  let bytes = line.head.length * 3 + 1;
  for (const part of line.raw) {
    bytes += 1 + (typeof part === "string" ? part.length * 3 : part.length);
  }
  return bytes;
}

/** Lines as one text, each ended by a newline. */
function linesText(lines: readonly PendingLine[]): string {
  let text = "";
  for (const line of lines) {
    text += typeof line === "string"
      ? line
      : [line.head, ...line.raw.map((p) => typeof p === "string" ? p : p.text())].join("\t");
    text += "\n";
  }
  return text;
}
