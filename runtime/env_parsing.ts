/**
 * Reading one environment variable: whole numbers within bounds, the sandbox
 * transport, the private-address allowance; each refusal is a `ConfigError`
 * that names the variable and says what to write instead.
 *
 * @module
 */

import { AddressAllowance } from "./host/guard/address.ts";
import type { LinkTransport } from "./sandbox/host_link.ts";
import { errorMessage } from "../shared/error_message.ts";
import { CpuAffinityError, type CpuPlacement, placeSandboxes } from "./sandbox/cpu_affinity.ts";

/** A configuration value is missing or malformed. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * The whole number in `env[name]`, or `fallback` when it is unset or empty.
 *
 * @example
 * ```ts
 * integer({ FLORA_API_PORT: "8080" }, "FLORA_API_PORT", 8787, 0, 65535); // 8080
 * ```
 */
export function integer(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`,
    );
  }
  return value;
}

/**
 * Comma-separated guild ids in `env[name]` (Discord ids: 17–20 digits, no
 * leading zero), without repeats; none when unset or empty.
 *
 * @example
 * ```ts
 * guildIds({ FLORA_DEDICATED_GUILDS: "81384788765712384, 41771983423143937" }, "FLORA_DEDICATED_GUILDS");
 * // ["81384788765712384", "41771983423143937"]
 * ```
 */
export function guildIds(env: Record<string, string | undefined>, name: string): string[] {
  const text = env[name]?.trim();
  if (!text) return [];
  const ids = text.split(",").map((id) => id.trim());
  for (const id of ids) {
    if (!/^[1-9]\d{16,19}$/.test(id)) {
      throw new ConfigError(
        `${name} must be comma-separated guild ids (17-20 digits, not starting with 0); ` +
          `${JSON.stringify(id)} is not one`,
      );
    }
  }
  return [...new Set(ids)];
}

/** `FLORA_SANDBOX_TRANSPORT`: "unix", "stdio", or unset (the pool picks). */
export function transport(text: string | undefined): LinkTransport | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  if (value === "unix" || value === "stdio") return value;
  throw new ConfigError(
    `FLORA_SANDBOX_TRANSPORT must be "unix" or "stdio" (got ${JSON.stringify(value)})`,
  );
}

/** `FLORA_FETCH_ALLOW_PRIVATE`: private addresses and ranges scripts may fetch (none if unset). */
export function allowance(text: string | undefined): AddressAllowance {
  if (text === undefined || text.trim() === "") return AddressAllowance.none;
  try {
    return AddressAllowance.parse(text);
  } catch (error) {
    throw new ConfigError(
      `FLORA_FETCH_ALLOW_PRIVATE must be comma-separated IP addresses or CIDR ranges ` +
        `(e.g. 127.0.0.1/32,::1/128): ${errorMessage(error)}`,
    );
  }
}

/** `FLORA_SANDBOX_CPUS`: the sandboxes' CPUs, checked against this machine; undefined if unset. */
export function sandboxCpus(text: string | undefined): CpuPlacement | undefined {
  if (!text?.trim()) return undefined;
  try {
    return placeSandboxes(text.trim());
  } catch (error) {
    if (!(error instanceof CpuAffinityError)) throw error;
    throw new ConfigError(`FLORA_SANDBOX_CPUS: ${error.message}`);
  }
}
