/**
 * nats.js's connection to a server over Deno's own TCP sockets instead of
 * `node:net`.
 *
 * Why: Deno's `node:net` runs every read and write through its emulation of
 * Node's streams and libuv handles. A message from one Deno process through
 * nats-server to another took 0.60–0.69 ms p50 with nats.js on `node:net` at
 * both ends, 0.48–0.52 ms with this transport, and 0.43–0.46 ms with no client
 * library at all (load 24–50, docs/cluster.md "The bus hop itself"); every bus
 * event crosses it twice (the gateway node's publish, the runtime node's
 * delivery).
 *
 * TLS is left to nats.js's Node transport, unchanged: when the options ask for
 * TLS, or the server's INFO requires or offers it (where the Node transport
 * would upgrade), this transport closes its plain socket and hands the
 * connection to a `NodeTransport`, which dials again.
 *
 * @module
 */

import {
  checkOptions,
  type ConnectionOptions,
  DataBuffer,
  deferred,
  errors,
  extractProtocolMessage,
  INFO,
  type Server,
  type ServerInfo,
  type Transport,
} from "@nats-io/transport-node";
import { NodeTransport, VERSION } from "@nats-io/transport-node/lib/node_transport.js";

/** Bytes read per socket read (nats.js's Node transport gets what `node:net` reads, 64 KiB). */
const READ_SIZE = 64 * 1024;

/**
 * A nats.js transport on `Deno.connect`. Frames are written in the order
 * `send` is called; a frame sent while a write is under way goes with the
 * next write.
 *
 * @example
 * ```ts
 * setTransportFactory({ factory: () => new DenoTransport() });
 * const nc = await NatsConnectionImpl.connect({ servers: "nats://127.0.0.1:4222" });
 * ```
 */
export class DenoTransport implements Transport {
  readonly lang = "nats.js";
  readonly version: string = VERSION;
  #closeError: Error | undefined;
  #conn: Deno.TcpConn | undefined;
  /** Set when TLS is wanted: every call goes to nats.js's own Node transport. */
  #node: Transport | undefined;
  /** What was read while waiting for INFO (INFO included): the parser gets it first. */
  #peeked: Uint8Array[] = [];
  #connected = false;
  #done = false;
  readonly #closed = deferred<void | Error>();
  #queue: Uint8Array[] = [];
  #writing: Promise<void> | undefined;

  get isClosed(): boolean {
    return this.#node?.isClosed ?? this.#done;
  }

  get closeError(): Error | undefined {
    return this.#node?.closeError ?? this.#closeError;
  }

  async connect(server: Server, options: ConnectionOptions): Promise<void> {
    if (options.tls) return this.#handToNode(server, options);
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: server.hostname, port: server.port });
    } catch (error) {
      // As the Node transport words it: nats.js reports a refused dial as a ConnectionError.
      if (error instanceof Deno.errors.ConnectionRefused) {
        throw new errors.ConnectionError("connection refused", { cause: error });
      }
      throw error;
    }
    try {
      conn.setNoDelay(true);
      if (this.#done) throw new errors.ConnectionError("connection discarded while dialing");
      const info = await this.#peekInfo(conn);
      checkOptions(info, options);
      if (this.#done) throw new errors.ConnectionError("connection discarded while dialing");
      if (info.tls_required === true || (info.tls_available === true && options.tls !== null)) {
        conn.close();
        this.#peeked = [];
        return this.#handToNode(server, options);
      }
    } catch (error) {
      closeQuietly(conn);
      throw error;
    }
    this.#conn = conn;
    this.#connected = true;
  }

  /** Reads until the server's INFO line is in, keeping every byte read for the parser. */
  async #peekInfo(conn: Deno.TcpConn): Promise<ServerInfo> {
    const buffer = new Uint8Array(READ_SIZE);
    const inbound = new DataBuffer();
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) throw new errors.ConnectionError("socket closed while expecting INFO");
      const frame = buffer.slice(0, n);
      this.#peeked.push(frame);
      inbound.fill(frame);
      const line = extractProtocolMessage(inbound.peek());
      if (line === "") continue;
      const match = INFO.exec(line);
      if (!match) throw new Error("unexpected response from server");
      return JSON.parse(match[1]);
    }
  }

  async #handToNode(server: Server, options: ConnectionOptions): Promise<void> {
    const node = new NodeTransport();
    this.#node = node;
    node.closed().then((error) => this.#closed.resolve(error));
    await node.connect(server, options);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this.#node ? this.#node[Symbol.asyncIterator]() : this.#read();
  }

  async *#read(): AsyncGenerator<Uint8Array> {
    const conn = this.#conn;
    if (!conn) return;
    const peeked = this.#peeked;
    this.#peeked = [];
    for (const frame of peeked) yield frame;
    const buffer = new Uint8Array(READ_SIZE);
    let reason: Error | undefined;
    while (!this.#done) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (error) {
        reason = error instanceof Error ? error : new Error(String(error));
        break;
      }
      if (n === null) break;
      // A copy: the parser may keep part of a frame until the rest arrives.
      yield buffer.slice(0, n);
    }
    await this.#close(reason, false);
  }

  isEncrypted(): boolean {
    return this.#node?.isEncrypted() ?? false;
  }

  send(frame: Uint8Array): void {
    if (this.#node) return this.#node.send(frame);
    if (this.#done || !this.#conn) return;
    this.#queue.push(frame);
    this.#writing ??= this.#write(this.#conn);
  }

  /** Writes what is queued, in order, until nothing is (started at once by `send`). */
  async #write(conn: Deno.TcpConn): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#done) {
        const frame = this.#queue.length === 1 ? this.#queue[0] : joined(this.#queue);
        this.#queue = [];
        for (let written = 0; written < frame.length;) {
          written += await conn.write(frame.subarray(written));
        }
      }
    } catch (error) {
      // The socket broke: close, so that nats.js reconnects (the read side may not notice yet).
      await this.#close(error instanceof Error ? error : new Error(String(error)), false);
    } finally {
      this.#writing = undefined;
    }
  }

  close(error?: Error): Promise<void> {
    return this.#node ? this.#node.close(error) : this.#close(error, false);
  }

  disconnect(): void {
    if (this.#node) return this.#node.disconnect();
    this.#close(undefined, true).catch(() => {});
  }

  closed(): Promise<void | Error> {
    return this.#closed;
  }

  discard(): void {
    if (this.#node) return this.#node.discard();
    this.#done = true;
    if (this.#conn) closeQuietly(this.#conn);
  }

  /**
   * As the Node transport: a transport that never connected is dropped
   * without notice; an internal close without an error first writes what is
   * queued.
   */
  async #close(error: Error | undefined, internal: boolean): Promise<void> {
    if (!this.#connected) return;
    if (this.#done) {
      if (this.#conn) closeQuietly(this.#conn);
      return;
    }
    this.#closeError = error;
    if (!error && internal && this.#writing) await this.#writing.catch(() => {});
    this.#done = true;
    if (this.#conn) closeQuietly(this.#conn);
    this.#closed.resolve(this.#closeError);
  }
}

function closeQuietly(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}

/** The frames as one (no spread: thousands may queue behind a write during a burst). */
function joined(frames: Uint8Array[]): Uint8Array {
  const buffer = new DataBuffer();
  for (const frame of frames) buffer.fill(frame);
  return buffer.drain();
}
