/**
 * The host's end of the sandbox processes' socket (see `host_link.ts`): one
 * Unix socket in a private directory, accepting each process's connection
 * and handing it to whoever spawned that process id.
 *
 * @module
 */

import type { LinkHello } from "./host_link.ts";
import { type ByteSink, readNdjsonBatches } from "./ndjson.ts";

/**
 * A connected sandbox process: its messages, each read's at once (after the
 * hello; the connection is closed once they end), and where to write
 * (closing the writer closes only the host's sending side: the process
 * still flushes).
 */
export interface LinkedProcess {
  messages: AsyncIterable<unknown[]>;
  output: ByteSink;
}

interface Expected {
  resolve(linked: LinkedProcess): void;
  reject(error: Error): void;
}

/** A connection that has not said who it is by then is closed, ms. */
const HELLO_TIMEOUT_MS = 10_000;
/** Socket directories are named `flora-sandbox-<host pid>-<random>`. */
const DIR_PREFIX = "flora-sandbox-";

/**
 * Listens for sandbox processes.
 *
 * @example
 * ```ts
 * const listener = await LinkListener.open();
 * const child = new Deno.Command(Deno.execPath(), { args: [...] }).spawn();
 * const { messages, output } = await listener.expect(child.pid);
 * ```
 */
export class LinkListener {
  /** Spawned processes not yet connected (asked for right after spawning, before they can). */
  #expected = new Map<number, Expected>();
  #closed = false;

  private constructor(
    readonly dir: string,
    readonly path: string,
    readonly listener: Deno.Listener,
  ) {
    this.#accept();
  }

  /**
   * Creates the private directory (mode 0700) and listens in it. Directories
   * that hosts killed without a chance to clean up left behind go first.
   */
  static async open(): Promise<LinkListener> {
    const dir = await Deno.makeTempDir({ prefix: `${DIR_PREFIX}${Deno.pid}-` });
    await Deno.chmod(dir, 0o700);
    await removeStaleLinkDirs(dir.slice(0, dir.lastIndexOf("/")));
    const path = `${dir}/host.sock`;
    return new LinkListener(dir, path, Deno.listen({ transport: "unix", path }));
  }

  /** Resolves with the process's connection once it has introduced itself. */
  expect(pid: number): Promise<LinkedProcess> {
    if (this.#closed) return Promise.reject(new Error("the sandbox socket is closed"));
    return new Promise((resolve, reject) => this.#expected.set(pid, { resolve, reject }));
  }

  /** The process exited: stop waiting for it. */
  forget(pid: number, why: string): void {
    this.#expected.get(pid)?.reject(new Error(why));
    this.#expected.delete(pid);
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.listener) this.#greet(conn);
    } catch {
      // The listener was closed.
    }
  }

  async #greet(conn: Deno.Conn): Promise<void> {
    const messages = readNdjsonBatches(conn)[Symbol.asyncIterator]();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), HELLO_TIMEOUT_MS);
    });
    const first = await Promise.race([messages.next().catch(() => null), timeout]);
    clearTimeout(timer);
    const [hello, ...after] = first?.done === false ? first.value : [];
    const pid = (hello as Partial<LinkHello> | undefined)?.pid;
    const expected = typeof pid === "number" ? this.#expected.get(pid) : undefined;
    if (!expected || this.#closed) {
      close(conn); // not a process we spawned, or one that already connected
      return;
    }
    this.#expected.delete(pid!);
    expected.resolve({
      messages: closingAtEnd(after, messages, conn),
      output: conn,
    });
  }

  /** Stops listening and removes the directory (connected processes keep their sockets). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [pid] of this.#expected) this.forget(pid, "the sandbox socket is closed");
    try {
      this.listener.close();
    } catch { /* already closed */ }
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * The rest of a connection's messages (`first`: those read with the hello);
 * the connection is closed once they end.
 */
async function* closingAtEnd(
  first: unknown[],
  messages: AsyncIterator<unknown[]>,
  conn: Deno.Conn,
): AsyncGenerator<unknown[]> {
  try {
    if (first.length > 0) yield first;
    for (let next = await messages.next(); !next.done; next = await messages.next()) {
      yield next.value;
    }
  } finally {
    close(conn);
  }
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

/**
 * Removes the socket directories in `tempDir` whose host process is gone (a
 * host stopped with SIGKILL cannot remove its own). Only where `/proc` tells
 * which processes live (Linux); a directory whose pid is alive, or was
 * reused, is left alone.
 */
export async function removeStaleLinkDirs(tempDir: string): Promise<string[]> {
  const removed: string[] = [];
  if (Deno.build.os !== "linux") return removed;
  try {
    for await (const entry of Deno.readDir(tempDir)) {
      const pid = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(entry.name)?.[1];
      if (!entry.isDirectory || !pid || await exists(`/proc/${pid}`)) continue;
      const dir = `${tempDir}/${entry.name}`;
      await Deno.remove(dir, { recursive: true }).then(() => removed.push(dir), () => {});
    }
  } catch {
    // An unreadable temp dir: nothing to tidy.
  }
  return removed;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
