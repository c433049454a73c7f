/**
 * Which network addresses a script's outbound request may reach: never
 * loopback, private, link-local, carrier-grade NAT, cloud metadata,
 * multicast or reserved ranges (SSRF), whether named directly or reached
 * through a DNS name that resolves to one.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";

/** An IPv4 range as [first octets as a number, prefix length, why]. */
type Range4 = [base: number, prefix: number, why: string];

const V4: Range4[] = [
  [ip4("0.0.0.0"), 8, "unspecified"],
  [ip4("10.0.0.0"), 8, "private"],
  [ip4("100.64.0.0"), 10, "carrier-grade NAT"],
  [ip4("100.100.100.200"), 32, "cloud metadata"],
  [ip4("127.0.0.0"), 8, "loopback"],
  [ip4("169.254.0.0"), 16, "link-local (cloud metadata)"],
  [ip4("172.16.0.0"), 12, "private"],
  [ip4("192.0.0.0"), 24, "reserved"],
  [ip4("192.0.2.0"), 24, "documentation"],
  [ip4("192.168.0.0"), 16, "private"],
  [ip4("198.18.0.0"), 15, "benchmarking"],
  [ip4("198.51.100.0"), 24, "documentation"],
  [ip4("203.0.113.0"), 24, "documentation"],
  [ip4("224.0.0.0"), 4, "multicast"],
  [ip4("240.0.0.0"), 4, "reserved"],
];

function ip4(text: string): number {
  const parts = text.split(".").map(Number);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** Parses dotted-quad IPv4; null when `text` is not one. */
export function parseIPv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** Parses IPv6 (with `::` and an optional dotted IPv4 tail) into 8 groups; null if invalid. */
export function parseIPv6(text: string): number[] | null {
  let t = text.replace(/^\[|\]$/g, "");
  const zone = t.indexOf("%");
  if (zone >= 0) t = t.slice(0, zone);
  if (!/^[0-9a-fA-F:.]+$/.test(t) || !t.includes(":")) return null;
  let tail: number[] = [];
  const lastColon = t.lastIndexOf(":");
  const last = t.slice(lastColon + 1);
  if (last.includes(".")) {
    const v4 = parseIPv4(last);
    if (v4 === null) return null;
    tail = [v4 >>> 16, v4 & 0xffff];
    t = t.slice(0, lastColon + 1) + "0:0";
  }
  const halves = t.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === "" ? [] : s.split(":"));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const out = groups.map((g) => parseInt(g, 16));
  if (tail.length) out.splice(6, 2, ...tail);
  return out;
}

function forbidden4(value: number): string | null {
  for (const [base, prefix, why] of V4) {
    const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
    if (((value & mask) >>> 0) === base) return why;
  }
  return null;
}

function forbidden6(g: number[]): string | null {
  const zeroHead = g.slice(0, 5).every((x) => x === 0);
  if (zeroHead && g[5] === 0 && g[6] === 0 && g[7] <= 1) {
    return g[7] === 1 ? "loopback" : "unspecified";
  }
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): judge the IPv4 inside.
  if (zeroHead && (g[5] === 0xffff || g[5] === 0)) {
    return forbidden4(((g[6] << 16) | g[7]) >>> 0);
  }
  // NAT64 (64:ff9b::/96) wraps an IPv4 address too.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return forbidden4(((g[6] << 16) | g[7]) >>> 0);
  }
  if ((g[0] & 0xfe00) === 0xfc00) return "private (unique local)";
  if ((g[0] & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0] & 0xffc0) === 0xfec0) return "site-local";
  if ((g[0] & 0xff00) === 0xff00) return "multicast";
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "documentation";
  if (g[0] === 0x2002) return forbidden4(((g[1] << 16) | g[2]) >>> 0); // 6to4
  return null;
}

/**
 * Why an IP address is off limits for scripts, or null when it is public.
 * Text that is not an IP address is refused too.
 *
 * @example
 * ```ts
 * forbiddenAddress("169.254.169.254"); // "link-local (cloud metadata)"
 * forbiddenAddress("::ffff:127.0.0.1"); // "loopback"
 * forbiddenAddress("93.184.216.34"); // null
 * ```
 */
export function forbiddenAddress(ip: string): string | null {
  const v4 = parseIPv4(ip);
  if (v4 !== null) return forbidden4(v4);
  const v6 = parseIPv6(ip);
  if (v6 !== null) return forbidden6(v6);
  return "not an IP address";
}

/** Resolves a host name to its addresses (A and AAAA). */
export type Resolver = (hostname: string) => Promise<string[]>;

/**
 * The system resolver (`getaddrinfo`, so `/etc/hosts` and the host's resolver
 * settings apply, as for any other program on the machine). A name that does
 * not resolve gives no addresses.
 */
export const systemResolver: Resolver = async (hostname) => {
  try {
    const found = await lookup(hostname, { all: true, verbatim: true });
    return found.map((a) => a.address);
  } catch {
    return [];
  }
};

/**
 * Address ranges an operator lets scripts reach although they are not
 * public (a dev or test setup reaching a local server), from
 * `FLORA_FETCH_ALLOW_PRIVATE`. Empty by default.
 */
export class AddressAllowance {
  readonly #ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];

  private constructor(ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][], readonly text: string[]) {
    this.#ranges = ranges;
  }

  /** No exceptions: every non-public address is refused. */
  static readonly none: AddressAllowance = new AddressAllowance([], []);

  /**
   * Parses comma-separated CIDR ranges (`127.0.0.1/32,::1/128`; a bare
   * address means just that one). Throws with a readable reason.
   */
  static parse(text: string): AddressAllowance {
    const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
    const ranges = items.map((item): [ipaddr.IPv4 | ipaddr.IPv6, number] => {
      try {
        if (item.includes("/")) return ipaddr.parseCIDR(item);
        const address = ipaddr.parse(item);
        return [address, address.kind() === "ipv4" ? 32 : 128];
      } catch {
        throw new Error(`${JSON.stringify(item)} is not an IP address or CIDR range`);
      }
    });
    return new AddressAllowance(ranges, items);
  }

  /** Whether `ip` lies in one of the ranges (IPv4-mapped IPv6 counts as its IPv4). */
  allows(ip: string): boolean {
    if (this.#ranges.length === 0 || !ipaddr.isValid(ip)) return false;
    const address = ipaddr.process(ip);
    return this.#ranges.some(([range, bits]) =>
      range.kind() === address.kind() && address.match([range, bits] as never)
    );
  }
}

/** Thrown when a request's destination is refused; the message says why. */
export class ForbiddenDestination extends Error {
  override name = "ForbiddenDestination";
}

/**
 * The public addresses `hostname` stands for. Throws when it is (or
 * resolves to, even in part) a forbidden address, or does not resolve.
 * Connect to one of the returned addresses, not to the name again, so a
 * second lookup cannot answer differently (DNS rebinding).
 */
export async function publicAddresses(
  hostname: string,
  resolve: Resolver = systemResolver,
  allowance: AddressAllowance = AddressAllowance.none,
): Promise<string[]> {
  const bare = hostname.replace(/^\[|\]$/g, "");
  if (parseIPv4(bare) !== null || parseIPv6(bare) !== null) {
    const why = forbiddenAddress(bare);
    if (why && !allowance.allows(bare)) {
      throw new ForbiddenDestination(`${hostname} is a ${why} address`);
    }
    return [bare];
  }
  const lower = bare.toLowerCase().replace(/\.$/, "");
  // RFC 6761: these names are loopback whatever a resolver says.
  const loopbackName = lower === "localhost" || lower.endsWith(".localhost");
  const addresses = loopbackName ? ["127.0.0.1", "::1"] : await resolve(lower);
  if (addresses.length === 0) throw new ForbiddenDestination(`${hostname} does not resolve`);
  const allowed = addresses.filter((address) => {
    const why = forbiddenAddress(address);
    if (!why || allowance.allows(address)) return true;
    if (loopbackName) return false; // both loopback forms are tried; one may be allowed
    throw new ForbiddenDestination(`${hostname} resolves to ${address}, a ${why} address`);
  });
  if (allowed.length === 0) throw new ForbiddenDestination(`${hostname} is a loopback name`);
  return allowed;
}
