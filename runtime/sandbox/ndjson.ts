/**
 * Newline-delimited JSON over byte streams: how the host and its sandbox
 * processes talk over stdio. JSON escapes newlines inside strings, so one
 * line is always one message.
 *
 * @module
 */

/** Splits a text stream into lines (without the trailing `\n`). */
export class LineSplitStream extends TransformStream<string, string> {
  constructor() {
    let buffer = "";
    super({
      transform(chunk, controller) {
        buffer += chunk;
        let newline = buffer.indexOf("\n");
        while (newline !== -1) {
          const line = buffer.slice(0, newline);
          if (line.length > 0) controller.enqueue(line);
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf("\n");
        }
      },
      flush(controller) {
        if (buffer.length > 0) controller.enqueue(buffer);
      },
    });
  }
}

/**
 * Reads JSON values, one per line. A line that is not JSON is reported to
 * `onInvalid` and skipped rather than ending the stream.
 *
 * @example
 * ```ts
 * for await (const message of readNdjson(Deno.stdin.readable)) console.log(message);
 * ```
 */
export async function* readNdjson(
  stream: ReadableStream<Uint8Array>,
  onInvalid: (line: string, error: unknown) => void = () => {},
): AsyncGenerator<unknown> {
  const lines = stream.pipeThrough(new TextDecoderStream()).pipeThrough(new LineSplitStream());
  for await (const line of lines) {
    try {
      yield JSON.parse(line);
    } catch (error) {
      onInvalid(line, error);
    }
  }
}

/**
 * Writes JSON values one per line, coalescing messages queued in the same
 * tick into one write (events arrive in bursts; one syscall per burst).
 */
export class NdjsonWriter {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #encoder = new TextEncoder();
  #pending: string[] = [];
  #flushing: Promise<void> | null = null;
  #closed = false;

  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
  }

  /** Queues a value; resolves once it has been handed to the stream. */
  write(value: unknown): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("ndjson writer is closed"));
    this.#pending.push(JSON.stringify(value));
    if (!this.#flushing) this.#flushing = this.#flush();
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    // Let the rest of this tick queue more messages first.
    await Promise.resolve();
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.join("\n") + "\n";
        this.#pending = [];
        await this.#writer.write(this.#encoder.encode(batch));
      }
    } finally {
      this.#flushing = null;
    }
  }

  /** Flushes and closes the underlying stream. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#flushing) await this.#flushing.catch(() => {});
    this.#closed = true;
    await this.#writer.close().catch(() => {});
  }
}
