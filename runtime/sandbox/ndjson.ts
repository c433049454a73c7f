/**
 * Newline-delimited JSON over byte streams: how the host and its sandbox
 * processes talk (over a Unix socket or stdio, see `host_link.ts`). JSON escapes newlines inside strings, so one
 * line is always one message.
 *
 * @module
 */

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
  stream: ReadableStream<Uint8Array>,
  onInvalid: (line: string, error: unknown) => void = () => {},
): AsyncGenerator<unknown> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let rest = "";
  const parsed: unknown[] = [];
  const take = (line: string) => {
    try {
      parsed.push(JSON.parse(line));
    } catch (error) {
      onInvalid(line, error);
    }
  };
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = rest + decoder.decode(value, { stream: true });
      let start = 0;
      for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
        if (end > start) take(text.slice(start, end));
        start = end + 1;
      }
      rest = text.slice(start);
      yield* parsed.splice(0);
    }
    rest += decoder.decode();
    if (rest.length > 0) take(rest);
    yield* parsed.splice(0);
  } finally {
    reader.releaseLock();
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
