/**
 * Checks of the settings a cluster node needs beyond one process's:
 * `NATS_URL` (the event bus), `DISCORD_API_URL` (several nodes sharing one
 * Discord-compatible API, e.g. a standalone emulator), and what each role
 * requires of the rest of the configuration.
 *
 * @module
 */

import type { StorageConfig } from "../../storage/config.ts";
import { ClusterConfigError } from "./config_error.ts";
import { type FloraRole, isSingleProcess } from "./roles.ts";

export { ClusterConfigError };

const NATS_SCHEMES = ["nats:", "tls:", "ws:", "wss:"];

/**
 * Parses `NATS_URL`: one server URL or a comma list of them (the client tries
 * each), e.g. `nats://127.0.0.1:4222`. Returns the list, or undefined when unset.
 *
 * @example
 * ```ts
 * parseNatsUrl("nats://a:4222, nats://b:4222"); // ["nats://a:4222", "nats://b:4222"]
 * ```
 */
export function parseNatsUrl(text: string | undefined): string[] | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  return value.split(",").map((item) => {
    const raw = item.trim();
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ClusterConfigError(
        `NATS_URL: ${JSON.stringify(raw)} is not a URL (expected e.g. nats://127.0.0.1:4222)`,
      );
    }
    if (!NATS_SCHEMES.includes(url.protocol) || url.hostname === "") {
      throw new ClusterConfigError(
        `NATS_URL must list nats://, tls://, ws:// or wss:// URLs with a host ` +
          `(got ${url.protocol}//…), e.g. nats://127.0.0.1:4222`,
      );
    }
    return raw;
  });
}

/**
 * Parses `DISCORD_API_URL`, the REST base of a Discord-compatible API (Discord's
 * is `https://discord.com/api`; a standalone emulator prints its own). A
 * trailing `/v10` or `/` is dropped: flora adds the version itself. The
 * gateway URL is then asked of that API (`GET /gateway/bot`), as on Discord.
 *
 * @example
 * ```ts
 * parseDiscordApiUrl("http://127.0.0.1:8787/api/v10/"); // "http://127.0.0.1:8787/api"
 * ```
 */
export function parseDiscordApiUrl(text: string | undefined): string | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ClusterConfigError(
      `DISCORD_API_URL is not a URL (expected e.g. https://discord.com/api or the REST base ` +
        "`deno task emulator` prints)",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ClusterConfigError(
      `DISCORD_API_URL must start with http:// or https:// (got ${url.protocol}//…)`,
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new ClusterConfigError("DISCORD_API_URL must not have a query or fragment");
  }
  return value.replace(/\/+$/, "").replace(/\/v10$/, "");
}

/** What the roles a process plays need from the rest of its configuration. */
export interface ClusterNeeds {
  roles: ReadonlySet<FloraRole>;
  natsUrl?: string[];
  discordToken?: string;
  discordApiUrl?: string;
  storage: StorageConfig;
}

/**
 * Throws one ClusterConfigError listing everything a cluster role lacks. A
 * single process (every role) needs nothing more than today; split roles share
 * their work through NATS and their state through PostgreSQL, and cannot each
 * start a private emulator.
 */
export function checkClusterNeeds(needs: ClusterNeeds): void {
  const problems: string[] = [];
  if (needs.discordApiUrl !== undefined && needs.discordToken === undefined) {
    problems.push(
      "DISCORD_API_URL needs DISCORD_TOKEN (the token that API accepts; " +
        "`deno task emulator` prints its token)",
    );
  }
  if (!isSingleProcess(needs.roles)) {
    const list = [...needs.roles].join(",");
    if (needs.natsUrl === undefined) {
      problems.push(`FLORA_ROLE=${list} needs NATS_URL (e.g. nats://127.0.0.1:4222)`);
    }
    if (needs.storage.databaseUrl === undefined) {
      problems.push(`FLORA_ROLE=${list} needs DATABASE_URL (nodes share deployments and tokens)`);
    }
    if (
      (needs.roles.has("runtime") || needs.roles.has("api")) &&
      needs.storage.guildKv !== "postgres" && needs.storage.kvUrl === undefined
    ) {
      problems.push(
        `FLORA_ROLE=${list} runs or serves guilds, whose KV must be the same on every node: ` +
          "set FLORA_GUILD_KV=postgres (or FLORA_KV_URL)",
      );
    }
    // The api role registers a deployment's commands with Discord.
    if (!needs.discordToken) {
      problems.push(
        `FLORA_ROLE=${list} needs DISCORD_TOKEN: nodes cannot each start a private emulator ` +
          "(share one with `deno task emulator` and DISCORD_API_URL)",
      );
    }
  }
  if (problems.length === 1) throw new ClusterConfigError(problems[0]);
  if (problems.length > 1) {
    throw new ClusterConfigError(`cluster configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

const BUS_PREFIX = /^[A-Za-z0-9_-]{1,32}$/;
const NODE_ID = /^[-_.A-Za-z0-9]{1,64}$/;

/**
 * Parses `FLORA_BUS_PREFIX`, which names the cluster's JetStream stream and
 * buckets (two clusters on one NATS need different prefixes).
 *
 * @example
 * ```ts
 * parseBusPrefix(undefined); // "flora"
 * ```
 */
export function parseBusPrefix(text: string | undefined): string {
  const value = text?.trim() || "flora";
  if (!BUS_PREFIX.test(value)) {
    throw new ClusterConfigError(
      `FLORA_BUS_PREFIX must be 1–32 letters, digits, "_" or "-" (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/**
 * Parses `FLORA_NODE_ID`, this process's name in leases; by default the host
 * name, pid and a random suffix (unique per process, so a restarted node
 * never mistakes an old tenure for its own).
 *
 * @example
 * ```ts
 * parseNodeId("runtime-1"); // "runtime-1"
 * ```
 */
export function parseNodeId(text: string | undefined): string {
  const value = text?.trim();
  if (value) {
    if (!NODE_ID.test(value)) {
      throw new ClusterConfigError(
        `FLORA_NODE_ID must be 1–64 letters, digits, ".", "_" or "-" (got ${
          JSON.stringify(value)
        })`,
      );
    }
    return value;
  }
  const host = Deno.hostname().replace(/[^-_.A-Za-z0-9]/g, "-").slice(0, 40);
  const random = crypto.getRandomValues(new Uint8Array(3));
  return `${host}-${Deno.pid}-${[...random].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
