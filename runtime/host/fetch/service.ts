/**
 * The `fetch` operation: a script's outbound HTTP request, carried out by
 * the host under the deployment's and the operator's rules.
 *
 * - Off unless the guild's deployment names hosts (`flora deploy --allow-fetch`);
 *   a host without a port matches only the scheme's default port.
 * - Every hop (redirects are followed up to {@linkcode MAX_REDIRECTS} times, or
 *   returned / refused as the script asks) is checked against those hosts and,
 *   after DNS resolution, against loopback, private, link-local and metadata
 *   addresses (`client.ts`).
 * - `{{flora-secret:NAME}}` markers in the URL, headers or body are replaced
 *   with the guild's secret only when the hop's host is one the secret allows;
 *   otherwise the whole request is refused. The script only ever sees markers.
 * - Limits: request body, response body, one deadline for the whole call.
 *
 * @module
 */

import { hostMatches } from "../../../storage/host_patterns.ts";
import type { RevealedSecret, SecretStore } from "../../../storage/types.ts";
import type { FetchArgs, FetchResult } from "../../sandbox/protocol/mod.ts";
import type { AddressAllowance, Resolver } from "../guard/address.ts";
import {
  defaultPort,
  FetchFailed,
  FetchRefused,
  type OutboundRequest,
  portOf,
  sendOnce,
} from "./client.ts";
import {
  bytesToLatin1,
  latin1ToBytes,
  secretNames,
  substitute,
  utf8AsLatin1,
} from "./placeholders.ts";

/** Redirects followed before the request fails. */
export const MAX_REDIRECTS = 5;

/** The operator's limits on outbound requests. */
export interface FetchLimits {
  /** Longest a whole fetch (every hop, body included) may take, ms. */
  timeoutMs: number;
  /** Largest response body, bytes. */
  maxResponseBytes: number;
  /** Largest request body, bytes. */
  maxRequestBytes: number;
}

/** Defaults: 8 s (inside the 10 s event budget), 2 MiB responses, 1 MiB request bodies. */
export const DEFAULT_FETCH_LIMITS: FetchLimits = {
  timeoutMs: 8_000,
  maxResponseBytes: 2 * 1024 * 1024,
  maxRequestBytes: 1024 * 1024,
};

export interface FetchServiceOptions {
  limits: FetchLimits;
  /** Non-public addresses the operator lets scripts reach (`FLORA_FETCH_ALLOW_PRIVATE`). */
  allowance: AddressAllowance;
  /** The hosts a guild's deployment may fetch from (empty: fetch is off). */
  hostsFor(guildId: string): readonly string[];
  secrets: Pick<SecretStore, "revealEntry">;
  resolve?: Resolver;
  /** Extra trusted CAs (PEM), for tests against a local TLS server. */
  caCerts?: string[];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Carries out scripts' outbound requests. */
export class FetchService {
  constructor(readonly options: FetchServiceOptions) {}

  /** Performs `args` for `guildId`; throws with a message meant for the script's author. */
  async fetch(guildId: string, args: FetchArgs): Promise<FetchResult> {
    const hosts = this.options.hostsFor(guildId);
    if (hosts.length === 0) {
      throw new FetchRefused(
        "outbound fetch is off for this deployment: deploy with --allow-fetch <host> to allow hosts",
      );
    }
    let url = parseUrl(args.url);
    let method = normalise(args.method);
    let headers = args.headers;
    let body = args.body === undefined ? undefined : decodeBase64(args.body);
    const { limits } = this.options;
    if (body !== undefined && body.length > limits.maxRequestBytes) {
      throw new FetchRefused(
        `the request body is ${body.length} bytes; the limit is ${limits.maxRequestBytes}`,
      );
    }
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new FetchFailed(`the request to ${url.host} took longer than ${limits.timeoutMs} ms`),
        ),
      limits.timeoutMs,
    );
    try {
      const secrets = new Map<string, RevealedSecret>();
      for (let hop = 0;; hop++) {
        checkHost(url, hosts);
        const request = await this.#withSecrets(guildId, secrets, { url, method, headers, body });
        const response = await sendOnce(request, {
          allowance: this.options.allowance,
          resolve: this.options.resolve,
          signal: deadline.signal,
          maxResponseBytes: limits.maxResponseBytes,
          caCerts: this.options.caCerts,
        });
        const location = response.headers.find(([n]) => n.toLowerCase() === "location")?.[1];
        const mode = args.redirect ?? "follow";
        if (!REDIRECTS.has(response.status) || location === undefined || mode === "manual") {
          return {
            status: response.status,
            statusText: response.statusText,
            headers: response.headers,
            body: encodeBase64(response.body),
            url: url.href,
            redirected: hop > 0,
          };
        }
        if (mode === "error") {
          throw new FetchFailed(`${url.host} redirected the request (redirect: "error")`);
        }
        if (hop >= MAX_REDIRECTS) throw new FetchFailed(`more than ${MAX_REDIRECTS} redirects`);
        const next = parseUrl(new URL(location, url).href);
        // As browsers do: 303 (and 301/302 after POST) continue as a GET without a body.
        if (
          (response.status === 303 && method !== "HEAD") ||
          ((response.status === 301 || response.status === 302) && method === "POST")
        ) {
          method = "GET";
          body = undefined;
          headers = headers.filter(([n]) => !/^content-/i.test(n));
        }
        if (next.origin !== url.origin) {
          headers = headers.filter(([n]) => !/^(authorization|cookie)$/i.test(n));
        }
        url = next;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The request with its secret markers replaced, after checking each secret may go to its host. */
  async #withSecrets(
    guildId: string,
    cache: Map<string, RevealedSecret>,
    request: OutboundRequest,
  ): Promise<OutboundRequest> {
    const bodyText = request.body === undefined ? undefined : bytesToLatin1(request.body);
    const target = `${request.url.pathname}${request.url.search}`;
    const names = new Set([
      ...secretNames(target),
      ...request.headers.flatMap(([, v]) => secretNames(v)),
      ...(bodyText === undefined ? [] : secretNames(bodyText)),
    ]);
    if (names.size === 0) return request;
    for (const name of names) {
      let secret = cache.get(name);
      if (!secret) {
        const found = await this.options.secrets.revealEntry(guildId, name);
        if (!found) throw new FetchRefused(`secret ${name} is not set for this guild`);
        cache.set(name, secret = found);
      }
      if (
        !hostMatches(
          request.url.hostname,
          portOf(request.url),
          defaultPort(request.url),
          secret.allowedHosts,
        )
      ) {
        throw new FetchRefused(
          `secret ${name} may not be sent to ${request.url.host} (it allows ${
            secret.allowedHosts.length ? secret.allowedHosts.join(", ") : "no host"
          }; set it with --allow-host)`,
        );
      }
    }
    const value = (name: string, encoded: boolean) => {
      const v = cache.get(name)!.value;
      return encoded ? encodeURIComponent(v) : v;
    };
    const url = new URL(request.url.href);
    const replaced = substitute(target, value);
    if (replaced !== target) {
      // Raw markers cannot occur in a parsed URL; what was encoded stays encoded.
      const q = replaced.indexOf("?");
      url.pathname = q < 0 ? replaced : replaced.slice(0, q);
      url.search = q < 0 ? "" : replaced.slice(q);
    }
    const headers = request.headers.map(([n, v]): [string, string] => {
      const out = substitute(v, value);
      // A header carries bytes: no line breaks, nothing beyond Latin-1.
      if (/[\r\n\0]/.test(out) || [...out].some((c) => c.charCodeAt(0) > 0xff)) {
        throw new FetchRefused(`a secret in header ${n} holds characters a header cannot carry`);
      }
      return [n, out];
    });
    const body = bodyText === undefined ? undefined : latin1ToBytes(
      substitute(bodyText, (name, encoded) => {
        const v = cache.get(name)!.value;
        return encoded ? encodeURIComponent(v) : utf8AsLatin1(v);
      }),
    );
    if (body !== undefined && body.length > this.options.limits.maxRequestBytes) {
      throw new FetchRefused(
        `the request body is ${body.length} bytes with its secrets; the limit is ${this.options.limits.maxRequestBytes}`,
      );
    }
    return { url, method: request.method, headers, body };
  }
}

function checkHost(url: URL, hosts: readonly string[]): void {
  if (!hostMatches(url.hostname, portOf(url), defaultPort(url), hosts)) {
    throw new FetchRefused(
      `${url.host} is not one of this deployment's fetch hosts (${hosts.join(", ")})`,
    );
  }
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FetchRefused(`${JSON.stringify(text.slice(0, 200))} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchRefused(`only http and https URLs can be fetched (got ${url.protocol})`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new FetchRefused("URLs with credentials are refused; use a header (and a secret)");
  }
  return url;
}

/** The standard methods in upper case, as `fetch` normalises them. */
function normalise(method: string): string {
  const upper = method.toUpperCase();
  return ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"].includes(upper) ? upper : method;
}

function decodeBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function encodeBase64(bytes: Uint8Array): string {
  return btoa(bytesToLatin1(bytes));
}
