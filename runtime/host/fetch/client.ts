/**
 * One outbound HTTP request on a script's behalf, safe against SSRF: the
 * host name is resolved first, every address is checked
 * (`guard/address.ts`), and the connection goes to a checked address only —
 * `node:http(s)` is given a `lookup` that answers with those addresses, so
 * no second DNS answer can point the socket elsewhere (DNS rebinding). TLS
 * still verifies the certificate against the host name (SNI included).
 *
 * The response body is streamed and cut at the size limit; one deadline
 * covers connecting, sending and receiving. Redirects are not followed here
 * (`service.ts` re-checks each hop).
 *
 * @module
 */

import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import {
  type AddressAllowance,
  ForbiddenDestination,
  publicAddresses,
  type Resolver,
  systemResolver,
} from "../guard/address.ts";

/** A request as the host sends it (secrets already substituted). */
export interface OutboundRequest {
  url: URL;
  method: string;
  headers: [string, string][];
  body?: Uint8Array;
}

/** What came back. */
export interface OutboundResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
}

/** Where a request may connect and how long it may take. */
export interface ConnectOptions {
  allowance: AddressAllowance;
  resolve?: Resolver;
  /** Ends the request (connect, send, receive) when it aborts. */
  signal: AbortSignal;
  /** Largest response body, bytes; a larger one fails the request. */
  maxResponseBytes: number;
  /** Extra trusted CA certificates (PEM), for tests against a local TLS server. */
  caCerts?: string[];
}

/** The request was refused before anything was sent (the message says why). */
export class FetchRefused extends Error {
  override name = "FetchRefused";
}

/** The request was sent and failed: network error, time limit, response too large. */
export class FetchFailed extends Error {
  override name = "FetchFailed";
}

/** Headers the host sets itself or that would let a script steer the connection. */
const DROPPED_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "content-length",
  "expect",
  // Bodies come back as sent: with no encoding asked for, the size limit counts real bytes.
  "accept-encoding",
]);

/** The default port of a scheme (80 or 443). */
export function defaultPort(url: URL): number {
  return url.protocol === "https:" ? 443 : 80;
}

/** The port a URL connects to. */
export function portOf(url: URL): number {
  return url.port === "" ? defaultPort(url) : Number(url.port);
}

/** A `lookup` that answers only with addresses checked beforehand. */
function fixedLookup(addresses: string[]): LookupFunction {
  const entries = addresses.map((address) => ({
    address,
    family: address.includes(":") ? 6 : 4,
  }));
  type Callback = (error: Error | null, address: unknown, family?: number) => void;
  return ((_hostname: string, options: { all?: boolean }, callback: Callback) => {
    if (options?.all) callback(null, entries);
    else callback(null, entries[0].address, entries[0].family);
  }) as unknown as LookupFunction;
}

/**
 * Sends one request to a public address (or one the operator allowed) and
 * reads the whole response. Throws {@linkcode FetchRefused} when the
 * destination is not allowed, {@linkcode FetchFailed} when the request fails.
 */
export async function sendOnce(
  request: OutboundRequest,
  options: ConnectOptions,
): Promise<OutboundResponse> {
  const { url } = request;
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchRefused(`only http and https URLs can be fetched (got ${url.protocol})`);
  }
  let addresses: string[];
  try {
    addresses = await publicAddresses(
      url.hostname,
      options.resolve ?? systemResolver,
      options.allowance,
    );
  } catch (error) {
    if (error instanceof ForbiddenDestination) throw new FetchRefused(error.message);
    throw error;
  }
  if (options.signal.aborted) throw timeoutError(options.signal);
  const headers: Record<string, string[]> = {};
  for (const [name, value] of request.headers) {
    const lower = name.toLowerCase();
    if (DROPPED_HEADERS.has(lower)) continue;
    (headers[lower] ??= []).push(value);
  }
  if (request.body !== undefined) headers["content-length"] = [String(request.body.length)];
  const bareHost = url.hostname.replace(/^\[|\]$/g, "");
  const isIp = addresses.length === 1 && addresses[0] === bareHost;
  const secure = url.protocol === "https:";
  const requestOptions: https.RequestOptions = {
    protocol: url.protocol,
    hostname: bareHost,
    port: portOf(url),
    path: `${url.pathname}${url.search}`,
    method: request.method,
    headers,
    agent: false,
    lookup: fixedLookup(addresses),
    ...(secure && !isIp ? { servername: bareHost } : {}),
    ...(secure && options.caCerts ? { ca: options.caCerts } : {}),
  };
  return await new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, value?: OutboundResponse) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener("abort", onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(value!);
    };
    const onAbort = () => finish(timeoutError(options.signal));
    const req = (secure ? https : http).request(requestOptions, (res) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      res.on("data", (chunk: Uint8Array) => {
        size += chunk.length;
        if (size > options.maxResponseBytes) {
          res.destroy();
          finish(
            new FetchFailed(
              `the response body of ${url.host} is larger than ${options.maxResponseBytes} bytes`,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on(
        "error",
        (error) => finish(new FetchFailed(`reading from ${url.host}: ${error.message}`)),
      );
      res.on("end", () => {
        const body = new Uint8Array(size);
        let offset = 0;
        for (const chunk of chunks) {
          body.set(chunk, offset);
          offset += chunk.length;
        }
        const pairs: [string, string][] = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          pairs.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
        }
        finish(null, {
          status: res.statusCode ?? 502,
          statusText: res.statusMessage ?? "",
          headers: pairs,
          body,
        });
      });
    });
    req.on(
      "error",
      (error) => finish(new FetchFailed(`request to ${url.host} failed: ${error.message}`)),
    );
    options.signal.addEventListener("abort", onAbort, { once: true });
    if (options.signal.aborted) return onAbort();
    req.end(request.body);
  });
}

function timeoutError(signal: AbortSignal): FetchFailed {
  const reason = signal.reason;
  return reason instanceof FetchFailed ? reason : new FetchFailed("the request was aborted");
}
