/**
 * Connecting a node to NATS: one place for the options every cluster
 * connection uses.
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";

/**
 * Connects to the cluster's NATS servers as `name`.
 *
 * Async traces are off: by default the client builds two `Error`s (with their
 * stacks) for every request, publish acks and handled marks included, which
 * took 21 % of a bus node's CPU in `deno task bench --bus` (profile: `RequestError`,
 * `TimeoutError`). A failed request still says what failed, only not from where.
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
  return connect({ servers, name, noAsyncTraces: true, ...options });
}
