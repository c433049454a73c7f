import assert from "node:assert/strict";
import { errors, type NatsConnection, type NatsConnectionImpl } from "@nats-io/transport-node";
import { natsGate, TEST_NATS_URL } from "../../storage/testing/servers.ts";
import { DenoTransport } from "./deno_nats_transport.ts";
import { connectNats } from "./nats_connection.ts";
import { natsTest } from "./testing.ts";

const gate = await natsGate();
const nats = natsTest(gate);

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The transport nats.js is using for `nc` now. */
function transportOf(nc: NatsConnection): unknown {
  return (nc as NatsConnectionImpl).protocol.transport;
}

/** A TCP proxy to the test NATS server whose connections can be cut. */
function natsProxy() {
  const target = new URL(TEST_NATS_URL);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let accepted = 0;
  (async () => {
    for await (const client of listener) {
      accepted++;
      const server = await Deno.connect({
        hostname: target.hostname,
        port: Number(target.port || 4222),
      });
      open.add(client).add(server);
      const pipe = (from: Deno.Conn, to: Deno.Conn) =>
        from.readable.pipeTo(to.writable).catch(() => {}).finally(() => {
          for (const conn of [from, to]) {
            open.delete(conn);
            try {
              conn.close();
            } catch { /* closed already */ }
          }
        });
      pipe(client, server);
      pipe(server, client);
    }
  })().catch(() => {});
  return {
    url: `nats://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    get accepted() {
      return accepted;
    },
    cut() {
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed already */ }
      }
      open.clear();
    },
    close() {
      this.cut();
      listener.close();
    },
  };
}

Deno.test({
  ...nats,
  name:
    `DenoTransport carries a message larger than one read, and many small ones in order${gate.note}`,
  async fn() {
    const sender = await connectNats(TEST_NATS_URL);
    const receiver = await connectNats(TEST_NATS_URL);
    try {
      assert.ok(transportOf(sender) instanceof DenoTransport, "connectNats uses Deno's sockets");
      const subject = `deno_transport_test.${crypto.randomUUID()}`;
      const got: Uint8Array[] = [];
      receiver.subscribe(subject, { callback: (_error, msg) => void got.push(msg.data) });
      await receiver.flush();

      const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251); // several reads
      sender.publish(subject, big);
      const small = 2_000;
      // Published back to back: the frames queued behind a write go out together, in order.
      for (let i = 0; i < small; i++) sender.publish(subject, String(i));
      await sender.flush();
      await until(() => got.length === small + 1, "every message");

      assert.deepEqual(got[0], big);
      const order = got.slice(1).map((data) => Number(new TextDecoder().decode(data)));
      assert.deepEqual(order, Array.from({ length: small }, (_, i) => i));
    } finally {
      await sender.close();
      await receiver.close();
    }
  },
});

Deno.test({
  ...nats,
  name:
    `DenoTransport: a connection cut on the way reconnects and keeps its subscriptions${gate.note}`,
  async fn() {
    const proxy = natsProxy();
    const through = await connectNats(proxy.url);
    const direct = await connectNats(TEST_NATS_URL);
    try {
      const subject = `deno_transport_test.${crypto.randomUUID()}`;
      const got: string[] = [];
      through.subscribe(subject, { callback: (_error, msg) => void got.push(msg.string()) });
      await through.flush();
      direct.publish(subject, "before");
      await until(() => got.length === 1, "the message before the cut");

      const first = transportOf(through);
      proxy.cut();
      await until(() => proxy.accepted === 2, "a reconnect through the proxy");
      await through.flush(); // answered once the subscription is sent again
      assert.notEqual(transportOf(through), first, "a new transport after the cut");
      assert.ok(transportOf(through) instanceof DenoTransport);

      direct.publish(subject, "after");
      await until(() => got.length === 2, "the message after the reconnect");
      assert.deepEqual(got, ["before", "after"]);
    } finally {
      await through.close();
      await direct.close();
      proxy.close();
    }
  },
});

Deno.test("DenoTransport reports a refused dial as nats.js's ConnectionError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  await assert.rejects(
    connectNats(`nats://127.0.0.1:${port}`, undefined, { timeout: 2_000, reconnect: false }),
    (error) => error instanceof errors.ConnectionError && /refused/.test(error.message),
  );
});

Deno.test("DenoTransport hands a server that requires TLS to nats.js's Node transport", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const info = JSON.stringify({
    server_id: "fake",
    version: "2.9.10",
    proto: 1,
    max_payload: 1_048_576,
    tls_required: true,
  });
  const seen: Array<Uint8Array | null> = [];
  const server = (async () => {
    for (let i = 0; i < 2; i++) {
      const conn = await listener.accept();
      await conn.write(new TextEncoder().encode(`INFO ${info}\r\n`));
      const buffer = new Uint8Array(1024);
      const n = await conn.read(buffer).catch(() => null);
      seen.push(n === null ? null : buffer.slice(0, n));
      conn.close();
    }
    listener.close();
  })();
  await assert.rejects(
    connectNats(`nats://127.0.0.1:${port}`, undefined, { timeout: 2_000, reconnect: false }),
  );
  await server;
  // The plain socket was closed unused; the second dial began a TLS handshake (record type 22).
  assert.equal(seen[0], null);
  assert.equal(seen[1]?.[0], 0x16);
});
