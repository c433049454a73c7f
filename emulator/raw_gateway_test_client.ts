/**
 * A minimal raw gateway client for protocol tests: frames in, frames out,
 * and the close code — no library logic in between.
 *
 * @module
 */

import { type Emulator, type EmulatorOptions, startEmulator } from "./mod.ts";

export interface Frame {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

const GUARD_MS = 15_000;

export class RawGateway {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #socket: WebSocket;
  #waiters: { predicate: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason }));
    });
    socket.addEventListener("message", (e) => {
      const frame = JSON.parse(String(e.data)) as Frame;
      this.frames.push(frame);
      for (const waiter of [...this.#waiters]) {
        if (waiter.predicate(frame)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      }
    });
  }

  /** Opens a connection and waits for it to be open. */
  static async connect(url: string, query = "?v=10&encoding=json"): Promise<RawGateway> {
    const socket = new WebSocket(`${url}/${query}`);
    const client = new RawGateway(socket);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error("connect failed")), { once: true });
    });
    return client;
  }

  send(payload: { op: number; d: unknown }): void {
    this.#socket.send(JSON.stringify(payload));
  }

  sendRaw(text: string): void {
    this.#socket.send(text);
  }

  /** The first frame (received or future) matching `predicate`. */
  next(predicate: (f: Frame) => boolean, label = "frame"): Promise<Frame> {
    const seen = this.frames.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`timed out waiting for ${label}`));
      }, GUARD_MS);
      const waiter = {
        predicate,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  dispatch(t: string): Promise<Frame> {
    return this.next((f) => f.op === 0 && f.t === t, t);
  }

  /** The last sequence number received. */
  get seq(): number | null {
    const withSeq = this.frames.filter((f) => f.s !== null);
    return withSeq.length ? withSeq[withSeq.length - 1].s : null;
  }

  /** Closes (if still open) and waits for the close to complete. */
  async close(code = 4999): Promise<{ code: number; reason: string }> {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.close(code);
    return await this.closed;
  }
}

/** IDENTIFY's `d` with sensible defaults. */
export function identify(token: string, extra: Record<string, unknown> = {}) {
  return {
    op: 2,
    d: {
      token,
      intents: (1 << 0) | (1 << 9) | (1 << 15),
      properties: { os: "linux", browser: "test", device: "test" },
      ...extra,
    },
  };
}

/**
 * Runs `fn` with an emulator and a raw gateway connection to it, and closes
 * both afterwards, whatever `fn` does.
 *
 * @example
 * ```ts
 * await withRawGateway({ heartbeatIntervalMs: 1100 }, async ({ emu, gw }) => {
 *   gw.send(identify(emu.token));
 * });
 * ```
 */
export async function withRawGateway(
  options: EmulatorOptions,
  fn: (ctx: { emu: Emulator; gw: RawGateway }) => Promise<void>,
): Promise<void> {
  const emu = await startEmulator(options);
  try {
    const gw = await RawGateway.connect(emu.gatewayUrl);
    try {
      await fn({ emu, gw });
    } finally {
      await gw.close();
    }
  } finally {
    await emu.close();
  }
}
