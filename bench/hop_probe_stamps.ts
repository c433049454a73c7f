/**
 * Timestamps of the Deno NATS transport's socket reads and writes, for
 * `hop_probe.ts` (patched onto `DenoTransport`'s prototype; probes only).
 *
 * @module
 */

import { DenoTransport } from "../runtime/cluster/deno_nats_transport.ts";

const now = () => performance.timeOrigin + performance.now();

/** Records when `send` is called (nats.js's flush of what it buffered). */
export function stampSends(): { first(): number } {
  let first = NaN;
  const send = DenoTransport.prototype.send;
  DenoTransport.prototype.send = function (this: DenoTransport, frame: Uint8Array) {
    if (Number.isNaN(first)) first = now();
    return send.call(this, frame);
  };
  return {
    first() {
      const at = first;
      first = NaN;
      return at;
    },
  };
}

/** Records when each socket read returned: `last()` is the read that brought what is parsed now. */
export function stampReads(): { last(): number } {
  let last = NaN;
  const iterate = DenoTransport.prototype[Symbol.asyncIterator];
  DenoTransport.prototype[Symbol.asyncIterator] = function (this: DenoTransport) {
    const inner = iterate.call(this);
    return {
      async next() {
        const result = await inner.next();
        last = now();
        return result;
      },
      return: inner.return?.bind(inner),
      throw: inner.throw?.bind(inner),
      [Symbol.asyncIterator]() {
        return this;
      },
    } as AsyncIterableIterator<Uint8Array>;
  };
  return { last: () => last };
}
