/**
 * The roles one flora process can play (`FLORA_ROLE`): `all` is today's
 * single process; a cluster runs `gateway`, `runtime` and `api` processes,
 * any combination per process.
 *
 * @module
 */

import { ClusterConfigError } from "./config_error.ts";

/** One role of a cluster node. */
export type FloraRole = "gateway" | "runtime" | "api";

/** Every role, in the order they are listed in messages. */
export const FLORA_ROLES: readonly FloraRole[] = ["gateway", "runtime", "api"];

/**
 * Parses `FLORA_ROLE`: absent, empty or `all` means every role in one process;
 * otherwise a comma list of `gateway`, `runtime` and `api` (spaces and case
 * ignored, each role once).
 *
 * @example
 * ```ts
 * parseRoles("gateway, runtime"); // Set { "gateway", "runtime" }
 * parseRoles(undefined); // every role: the single-process default
 * ```
 */
export function parseRoles(text: string | undefined): ReadonlySet<FloraRole> {
  const value = text?.trim().toLowerCase() ?? "";
  if (value === "" || value === "all") return new Set(FLORA_ROLES);
  const roles = new Set<FloraRole>();
  for (const raw of value.split(",")) {
    const role = raw.trim();
    if (role === "") {
      throw new ClusterConfigError(`FLORA_ROLE has an empty item (got ${JSON.stringify(text)})`);
    }
    if (role === "all") {
      throw new ClusterConfigError(`FLORA_ROLE: "all" cannot be combined with other roles`);
    }
    if (!(FLORA_ROLES as readonly string[]).includes(role)) {
      throw new ClusterConfigError(
        `FLORA_ROLE: unknown role ${JSON.stringify(role)}; use "all" or a comma list of ` +
          `${FLORA_ROLES.join(", ")} (e.g. FLORA_ROLE=gateway,runtime)`,
      );
    }
    if (roles.has(role as FloraRole)) {
      throw new ClusterConfigError(`FLORA_ROLE lists ${JSON.stringify(role)} twice`);
    }
    roles.add(role as FloraRole);
  }
  return roles;
}

/** Whether `roles` is the single-process default (every role, no bus between them). */
export function isSingleProcess(roles: ReadonlySet<FloraRole>): boolean {
  return FLORA_ROLES.every((role) => roles.has(role));
}
