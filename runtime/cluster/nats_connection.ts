/**
 * Connecting a node to NATS: one place for the options every cluster
 * connection uses.
 *
 * @module
 */

import {
  hasWsProtocol,
  type NatsConnection,
  NatsConnectionImpl,
  setTransportFactory,
} from "@nats-io/transport-node";
import { nodeResolveHost } from "@nats-io/transport-node/lib/node_transport.js";
import { DenoTransport } from "./deno_nats_transport.ts";

/**
 * Connects to the cluster's NATS servers as `name`.
 *
 * Async traces are off: by default the client builds two `Error`s (with their
 * stacks) for every request, publish acks and handled marks included, which
 * took 21 % of a bus node's CPU in `deno task bench --bus` (profile: `RequestError`,
 * `TimeoutError`). A failed request still says what failed, only not from where.
 *
 * The connection runs on Deno's sockets (`deno_nats_transport.ts`), not `node:net`. nats.js
 * keeps its transport factory in one global, which `connect` from `@nats-io/transport-node`
 * sets back to its Node transport: a connection opened here after such a call still gets the
 * Deno transport, but its reconnects may not (they work either way, only slower).
 *
 * @example
 * ```ts
 * const nc = await connectNats(["nats://127.0.0.1:4222"], "runtime-1");
 * ```
 */
export function connectNats(
  servers: string | string[],
  name?: string,
  options: { timeout?: number; reconnect?: boolean } = {},
): Promise<NatsConnection> {
  const opts = { servers, name, noAsyncTraces: true, ...options };
  if (hasWsProtocol(opts)) {
    return Promise.reject(new RangeError(`NATS_URL ${servers} is a WebSocket URL: use nats://`));
  }
  setTransportFactory({ factory: () => new DenoTransport(), dnsResolveFn: nodeResolveHost });
  return NatsConnectionImpl.connect(opts);
}
