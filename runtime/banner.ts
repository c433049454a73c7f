/**
 * What `deno task start` prints once flora serves: where everything is, what
 * storage is in use, and commands to try next that work as printed on the
 * machine at hand (see `cli/invocation.ts`).
 *
 * @module
 */

import type { BackendName } from "../storage/config.ts";
import { count } from "../shared/plural.ts";

/** What the banner describes. */
export interface BannerInput {
  apiUrl: string;
  dataDir: string;
  operatorToken: string;
  operatorTokenCreated: boolean;
  /** Which backend serves each storage concern. */
  backends: Record<string, BackendName>;
  /** The command prefix that runs the flora CLI here (`floraCommand`). */
  flora: string;
  /** The command that installs `flora`, when it is not installed. */
  install?: string;
  /** The built-in emulator, when there is no DISCORD_TOKEN. */
  emulator?: {
    url: string;
    worldFile: string;
    guilds: { id: string; name: string; general?: string }[];
    /** A member who may post in the guilds (bob in the default world). */
    memberId?: string;
  };
  /** A Discord-compatible API named by DISCORD_API_URL (e.g. a shared emulator). */
  discordApiUrl?: string;
  restored: number;
}

const BACKEND_NAMES: Record<BackendName, string> = {
  "deno-kv": "embedded Deno KV",
  "remote-deno-kv": "remote Deno KV",
  postgres: "PostgreSQL",
  redis: "Redis",
};

/** The data dir when it is not the default: the CLI must be told where it is. */
function dataDirPrefix(dataDir: string): string {
  return dataDir === ".data" ? "" : `FLORA_DATA_DIR=${shellQuote(dataDir)} `;
}

function shellQuote(text: string): string {
  return /^[\w./:@-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Each backend in use and what it holds, e.g.
 * `PostgreSQL (deployments, tokens, secrets) · Redis (sessions, cache, rateLimits, events) ·
 * embedded Deno KV in .data/ (guildKv, logs)`; just `.data/ (embedded Deno KV)` when that is all.
 *
 * @example
 * ```ts
 * describeStorage({ deployments: "deno-kv", logs: "deno-kv" }, ".data"); // ".data/ (embedded Deno KV)"
 * ```
 */
export function describeStorage(backends: Record<string, BackendName>, dataDir: string): string {
  const byBackend = new Map<BackendName, string[]>();
  for (const [concern, backend] of Object.entries(backends)) {
    byBackend.set(backend, [...(byBackend.get(backend) ?? []), concern]);
  }
  if (byBackend.size === 1 && byBackend.has("deno-kv")) return `${dataDir}/ (embedded Deno KV)`;
  return [...byBackend].map(([backend, concerns]) =>
    `${BACKEND_NAMES[backend]}${backend === "deno-kv" ? ` in ${dataDir}/` : ""} (${
      concerns.join(", ")
    })`
  ).join(" · ");
}

/**
 * The banner's lines.
 *
 * @example
 * ```ts
 * console.log(bannerLines({ ...input, flora: floraCommand(Deno.env.toObject()) }).join("\n"));
 * ```
 */
export function bannerLines(input: BannerInput): string[] {
  const { emulator } = input;
  const cli = `${dataDirPrefix(input.dataDir)}${input.flora}`;
  const guildId = emulator?.guilds[0]?.id ?? "<guild id>";
  const lines = [
    "",
    "flora is running.",
    `  API:        ${input.apiUrl}`,
    `  dashboard:  ${input.apiUrl}/dashboard${
      emulator ? '  (sign in as an emulator user; "Try it" acts in its guilds)' : ""
    }`,
    `  storage:    ${describeStorage(input.backends, input.dataDir)}`,
    `  operator:   ${input.operatorToken}${
      input.operatorTokenCreated ? `  (new; kept in ${input.dataDir}/operator-token)` : ""
    }`,
  ];
  if (emulator) {
    const [first] = emulator.guilds;
    lines.push(
      `  Discord:    built-in emulator at ${emulator.url} (no DISCORD_TOKEN set; ` +
        `its guilds are kept in ${emulator.worldFile})`,
      "",
      "Guilds in the emulator:",
      ...emulator.guilds.map((g) => `  ${g.id}  ${g.name}`),
      "",
      "Deploy the example bot to the first one:",
      `  ${cli} deploy --guild ${guildId} examples/ping.ts`,
    );
    if (first?.general && emulator.memberId) {
      const body = JSON.stringify({
        guildId,
        channelId: first.general,
        userId: emulator.memberId,
        content: "!ping",
      });
      lines.push(
        "",
        "Then say !ping in its #general (as the member bob), and read the channel:",
        `  curl -s ${emulator.url}/_emulator/messages -H 'content-type: application/json' -d '${body}'`,
        `  curl -s ${emulator.url}/_emulator/channels/${first.general}/messages`,
      );
    }
  } else {
    lines.push(
      input.discordApiUrl
        ? `  Discord:    the Discord-compatible API at ${input.discordApiUrl} (DISCORD_API_URL)`
        : "  Discord:    connected with DISCORD_TOKEN",
      "",
      "Deploy a bot:",
      `  ${cli} deploy --guild ${guildId} examples/ping.ts`,
    );
  }
  lines.push("", "Follow its log:", `  ${cli} logs --guild ${guildId} -f`);
  if (input.install) {
    lines.push(`A \`flora\` command that needs no deno on PATH: ${input.install}`);
  }
  if (input.restored > 0) {
    lines.push("", `Restored ${count(input.restored, "deployment")}.`);
  }
  lines.push("");
  return lines;
}
