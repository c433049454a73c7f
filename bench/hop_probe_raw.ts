/**
 * The NATS protocol on a bare Deno socket, no client library: the floor
 * `hop_probe.ts` compares nats.js against (probes only).
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One MSG or HMSG from the server, with when the read that completed it returned. */
export interface RawMsg {
  subject: string;
  reply: string;
  payload: string;
  readAt: number;
}

export interface RawConnection {
  write(bytes: Uint8Array | string): Promise<void>;
  /** Reads and drops everything the server sends (a publisher's PubAcks and PINGs answered). */
  drain(): void;
  /** Calls `onMsg` for each message, in the read that brought it; answers PINGs. */
  listen(onMsg: (msg: RawMsg) => void): void;
  close(): void;
}

/** Connects, reads INFO, sends CONNECT (headers on) and waits for the PONG of a PING. */
export async function rawConnect(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url.replace(/^nats:/, "http:"));
  const conn = await Deno.connect({ hostname, port: Number(port) });
  conn.setNoDelay(true);
  const connect = { verbose: false, pedantic: false, headers: true, no_responders: true };
  await conn.write(encoder.encode(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`));
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  while (!text.includes("PONG\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("closed while connecting");
    text += decoder.decode(buffer.subarray(0, n));
  }
  const write = async (bytes: Uint8Array | string) => {
    const data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
    for (let written = 0; written < data.length;) {
      written += await conn.write(data.subarray(written));
    }
  };
  const loop = async (onMsg?: (msg: RawMsg) => void) => {
    let pending = "";
    while (true) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch {
        return;
      }
      if (n === null) return;
      const readAt = performance.timeOrigin + performance.now();
      pending += decoder.decode(buffer.subarray(0, n));
      while (true) {
        const eol = pending.indexOf("\r\n");
        if (eol < 0) break;
        const line = pending.slice(0, eol);
        if (line === "PING") {
          write("PONG\r\n");
          pending = pending.slice(eol + 2);
          continue;
        }
        if (!line.startsWith("MSG ") && !line.startsWith("HMSG ")) {
          pending = pending.slice(eol + 2);
          continue;
        }
        const parts = line.split(" ");
        const total = Number(parts[parts.length - 1]);
        const headerBytes = parts[0] === "HMSG" ? Number(parts[parts.length - 2]) : 0;
        const reply = parts.length === (parts[0] === "HMSG" ? 6 : 5) ? parts[3] : "";
        // ASCII payloads only (the probe's frames): characters are bytes.
        if (pending.length < eol + 2 + total + 2) break;
        const body = pending.slice(eol + 2, eol + 2 + total);
        pending = pending.slice(eol + 2 + total + 2);
        onMsg?.({ subject: parts[1], reply, payload: body.slice(headerBytes), readAt });
      }
    }
  };
  return {
    write,
    drain: () => void loop(),
    listen: (onMsg) => void loop(onMsg),
    close: () => {
      try {
        conn.close();
      } catch {
        // closed
      }
    },
  };
}
