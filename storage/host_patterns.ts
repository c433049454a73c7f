/**
 * Host patterns: which hosts a deployment may fetch from, and which hosts a
 * secret may be sent to. Shared by storage (which refuses bad ones), the API
 * and the CLI, so all three accept and normalise the same things.
 *
 * A pattern is `host`, `*.domain` (any subdomain, not the domain itself), or
 * either followed by `:port`. Without a port only the scheme's default port
 * (80 for http, 443 for https) matches; a non-default port must be named.
 * Hosts are DNS names, IPv4 literals or bracketed IPv6 literals.
 *
 * @module
 */

import { StorageInputError } from "./types.ts";

/** Most patterns one deployment or secret may carry. */
export const MAX_HOST_PATTERNS = 32;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function validName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  if (IPV4.test(host)) return host.split(".").every((p) => Number(p) <= 255);
  if (/^\[[0-9a-f:.]+\]$/.test(host)) return host.includes(":");
  return host.split(".").every((label) => LABEL.test(label));
}

/**
 * The normalised form of a pattern (lower case, no trailing dot), or an
 * error saying what is wrong with it.
 *
 * @example
 * ```ts
 * hostPattern("API.Example.com."); // { ok: true, pattern: "api.example.com" }
 * hostPattern("*.example.com:8443"); // { ok: true, pattern: "*.example.com:8443" }
 * hostPattern("http://x"); // { ok: false, error: "…" }
 * ```
 */
export function hostPattern(text: string): { ok: true; pattern: string } | {
  ok: false;
  error: string;
} {
  const bad = (why: string) => ({
    ok: false as const,
    error: `host ${JSON.stringify(text)} is invalid: ${why}`,
  });
  if (typeof text !== "string") return bad("expected a string");
  let rest = text.trim().toLowerCase();
  let port = "";
  const portMatch = /:(\d{1,5})$/.exec(rest);
  if (portMatch && (!rest.startsWith("[") || rest.includes("]:"))) {
    const n = Number(portMatch[1]);
    if (n < 1 || n > 65535) return bad("port must be 1–65535");
    port = `:${n}`;
    rest = rest.slice(0, -portMatch[0].length);
  }
  rest = rest.replace(/\.$/, "");
  const wildcard = rest.startsWith("*.");
  const host = wildcard ? rest.slice(2) : rest;
  if (!validName(host)) {
    return bad(
      'use a host name ("api.example.com"), "*.example.com" for its subdomains, or an IP, ' +
        'optionally with ":port"; no scheme or path',
    );
  }
  if (wildcard && (IPV4.test(host) || host.startsWith("[") || !host.includes("."))) {
    return bad('"*." needs a domain with at least two labels');
  }
  return { ok: true, pattern: `${wildcard ? "*." : ""}${host}${port}` };
}

/** Checks and normalises a list of patterns (duplicates removed); throws StorageInputError. */
export function checkHostPatterns(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new StorageInputError(`${field} must be a list of hosts`);
  if (value.length > MAX_HOST_PATTERNS) {
    throw new StorageInputError(`${field} may name at most ${MAX_HOST_PATTERNS} hosts`);
  }
  const out: string[] = [];
  for (const item of value) {
    const r = hostPattern(item);
    if (!r.ok) throw new StorageInputError(`${field}: ${r.error}`);
    if (!out.includes(r.pattern)) out.push(r.pattern);
  }
  return out;
}

/**
 * Whether a request to `hostname` on `port` matches one of `patterns`.
 * `defaultPort` is the scheme's (80 or 443): a pattern without a port
 * matches only that port.
 *
 * @example
 * ```ts
 * hostMatches("api.example.com", 443, 443, ["*.example.com"]); // true
 * hostMatches("example.com", 443, 443, ["*.example.com"]); // false
 * hostMatches("127.0.0.1", 8080, 80, ["127.0.0.1:8080"]); // true
 * ```
 */
export function hostMatches(
  hostname: string,
  port: number,
  defaultPort: number,
  patterns: readonly string[],
): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return patterns.some((pattern) => {
    const m = /^(.*?)(?::(\d+))?$/.exec(pattern)!;
    // A bracketed IPv6 pattern without a port: the regex must not eat its last group.
    const [name, wanted] = pattern.endsWith("]") ? [pattern, undefined] : [m[1], m[2]];
    if ((wanted === undefined ? defaultPort : Number(wanted)) !== port) return false;
    return name.startsWith("*.")
      ? host.endsWith(name.slice(1)) && host.length > name.length - 1
      : host === name;
  });
}
