/**
 * Outbound HTTP for scripts: the worker's `fetch` is replaced by one that
 * asks the host (workers have no network permission). The host allows only
 * the hosts the deployment names (`flora deploy --allow-fetch`), never
 * private or loopback addresses, and limits size and time.
 *
 * `secret(name)` returns a marker to put where a secret belongs (a header, the
 * URL, the body); the host swaps in the value only for hosts that secret
 * allows. The value never enters the script.
 *
 * @example
 * ```ts
 * const res = await fetch("https://api.example.com/v1/weather?city=Paris", {
 *   headers: { authorization: `Bearer ${secret("WEATHER_KEY")}` },
 * });
 * const data = await res.json();
 * ```
 *
 * @module
 */

import type { FetchResult } from "../runtime/sandbox/protocol/operations.ts";
import { call } from "./bridge.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * A marker standing for the guild's secret `name` in a `fetch` request. The
 * host replaces it with the value when the request goes to a host the
 * secret allows, and refuses the request otherwise.
 */
export function secret(name: string): string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new TypeError(
      `secret name ${
        JSON.stringify(name)
      } is invalid: use 1-64 characters from A-Z, a-z, 0-9 and "_", not starting with a digit`,
    );
  }
  return `{{flora-secret:${name}}}`;
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` through the host. Takes what the standard `fetch` takes and
 * resolves to a standard `Response`; refusals and network failures reject
 * with a `TypeError` whose message says why.
 */
export async function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  request.signal.throwIfAborted();
  const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
  const args = {
    url: request.url,
    method: request.method,
    headers: [...request.headers],
    ...(body === undefined ? {} : { body: toBase64(body) }),
    redirect: request.redirect,
  };
  let result: FetchResult;
  try {
    const pending = call("fetch", args) as Promise<FetchResult>;
    // An abort rejects here; the host's own deadline ends the request itself.
    result = await (request.signal.aborted ? Promise.reject(request.signal.reason) : new Promise<
      FetchResult
    >((resolve, reject) => {
      const onAbort = () => reject(request.signal.reason);
      request.signal.addEventListener("abort", onAbort, { once: true });
      pending.then(resolve, reject).finally(() =>
        request.signal.removeEventListener("abort", onAbort)
      );
    }));
  } catch (error) {
    if (request.signal.aborted) throw request.signal.reason;
    // Not shared/error_message.ts: sdk/ files are copied into script projects on their own.
    throw new TypeError(`fetch ${request.url}: ${error instanceof Error ? error.message : error}`);
  }
  const response = new Response(NULL_BODY.has(result.status) ? null : fromBase64(result.body), {
    status: result.status,
    statusText: result.statusText,
    headers: result.headers,
  });
  Object.defineProperty(response, "url", { value: result.url });
  Object.defineProperty(response, "redirected", { value: result.redirected });
  return response;
}
