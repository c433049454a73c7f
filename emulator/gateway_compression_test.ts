/**
 * Transport compression and the gateway's send limit, checked with a raw
 * WebSocket: what zlib-sync / node:zlib users of discord.js receive.
 */

import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import { startEmulator } from "./mod.ts";
import { TransportCompressor } from "./gateway_compression.ts";
import { identify, RawGateway, withRawGateway } from "./raw_gateway_test_client.ts";
import { assert, assertEquals } from "./test_helpers.ts";

// Tests identify again within seconds; Discord's 5 s identify spacing is off (gateway_test checks it).
const FAST = { heartbeatIntervalMs: 1100, identifyIntervalMs: 0 };

/** Collects a compressed connection's binary frames and inflates them as one stream. */
async function compressedFrames(
  url: string,
  method: "zlib-stream" | "zstd-stream",
  act: (socket: WebSocket) => void,
  count: number,
): Promise<{ op: number; t: string | null }[]> {
  const socket = new WebSocket(`${url}/?v=10&encoding=json&compress=${method}`);
  socket.binaryType = "arraybuffer";
  const raw: Uint8Array[] = [];
  const got = Promise.withResolvers<void>();
  socket.onmessage = (e) => {
    assert(e.data instanceof ArrayBuffer, "compressed frames are binary");
    raw.push(new Uint8Array(e.data));
    if (raw.length === 1) act(socket);
    if (raw.length >= count) got.resolve();
  };
  const closed = new Promise((resolve) => socket.onclose = resolve);
  await got.promise;
  socket.close(1000);
  await closed;
  if (method === "zlib-stream") {
    // Every frame ends on a sync-flush boundary, as zlib-sync expects.
    for (const frame of raw) assertEquals([...frame.subarray(-4)], [0, 0, 0xff, 0xff]);
  }
  const all = Buffer.concat(raw);
  const text = method === "zlib-stream"
    ? zlib.inflateSync(all, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString()
    : zlib.zstdDecompressSync(all).toString();
  // Frames are concatenated JSON objects; split on the boundaries JSON.parse accepts.
  return text.split(/(?<=\})(?=\{"op")/).map((s) => JSON.parse(s));
}

for (const method of ["zlib-stream", "zstd-stream"] as const) {
  Deno.test(`gateway ${method}: HELLO, READY and GUILD_CREATEs arrive compressed in order`, async () => {
    const emu = await startEmulator(FAST);
    try {
      const frames = await compressedFrames(
        emu.gatewayUrl,
        method,
        (socket) => socket.send(JSON.stringify(identify(emu.token))),
        4,
      );
      assertEquals(frames.map((f) => f.t), [null, "READY", "GUILD_CREATE", "GUILD_CREATE"]);
      assertEquals(frames[0].op, 10);
    } finally {
      await emu.close();
    }
  });
}

Deno.test("gateway refuses encoding=etf and unknown compress values with 400", async () => {
  const emu = await startEmulator(FAST);
  try {
    for (const query of ["encoding=etf", "compress=gzip"]) {
      const response = await fetch(`${emu.url}/?v=10&${query}`, {
        headers: { upgrade: "websocket", connection: "upgrade" },
      });
      assertEquals(response.status, 400, query);
      await response.body?.cancel();
    }
  } finally {
    await emu.close();
  }
});

Deno.test("TransportCompressor keeps payload order under concurrent sends", async () => {
  const compressor = new TransportCompressor("zlib-stream");
  const payloads = Array.from({ length: 20 }, (_, i) => JSON.stringify({ op: 0, i }));
  const out = await Promise.all(payloads.map((p) => compressor.compress(p)));
  compressor.close();
  const text = zlib.inflateSync(Buffer.concat(out), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  }).toString();
  assertEquals(text, payloads.join(""));
});

Deno.test("gateway: more than 120 commands in a minute closes with 4008", async () => {
  await withRawGateway(FAST, async ({ gw }) => {
    await gw.next((f) => f.op === 10);
    for (let i = 0; i < 130; i++) gw.send({ op: 1, d: null });
    const closed = await gw.closed;
    assertEquals(closed.code, 4008);
  });
});

Deno.test("gateway: the 4008 close also reaches an identified session's client", async () => {
  const emu = await startEmulator(FAST);
  try {
    const gw = await RawGateway.connect(emu.gatewayUrl);
    gw.send(identify(emu.token));
    await gw.dispatch("READY");
    for (let i = 0; i < 200; i++) gw.send({ op: 1, d: null });
    assertEquals((await gw.closed).code, 4008);
  } finally {
    await emu.close();
  }
});
