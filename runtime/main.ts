/**
 * `deno task start`: runs flora. With no `DISCORD_TOKEN` it serves against
 * the built-in Discord emulator on the embedded database, so a fresh clone
 * works with this one command.
 *
 * @module
 */

import { dashboardAssets } from "../dashboard/assets.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { type Flora, startFlora } from "./flora.ts";
import { writeRuntimeInfo } from "./runtime_info.ts";

const LEVEL_COLORS = { debug: "\x1b[90m", info: "\x1b[36m", warn: "\x1b[33m", error: "\x1b[31m" };
const RESET = "\x1b[0m";

// Discordeno rejects promises from event plumbing we do not own; one must never
// take the host (and every guild) down.
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  console.error("[flora] unhandled rejection:", event.reason);
});

let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`flora: configuration error: ${error.message}`);
    Deno.exit(2);
  }
  throw error;
}

let flora: Flora;
try {
  flora = await startFlora(config, {
    onLog: (guildId, line) => {
      const time = new Date(line.at).toISOString().slice(11, 23);
      console.log(
        `${time} ${LEVEL_COLORS[line.level]}${
          line.level.padEnd(5)
        }${RESET} [guild ${guildId}] ${line.message}`,
      );
    },
    onNotice: (level, message) => console.error(`[flora] ${level}: ${message}`),
    onApiLog: (line) => console.error(line),
  });
} catch (error) {
  console.error(`flora: could not start: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}

await writeRuntimeInfo(config.dataDir, {
  apiUrl: flora.apiUrl,
  emulatorUrl: flora.emulator?.url,
  pid: Deno.pid,
});

const lines = [
  "",
  "flora is running.",
  `  API:        ${flora.apiUrl}`,
  `  dashboard:  ${flora.apiUrl}/dashboard${
    flora.emulator ? "  (sign in as an emulator user; \"Try it\" acts in its guilds)" : ""
  }`,
  `  data:       ${config.dataDir}/ (embedded Deno KV)`,
  `  operator:   ${flora.operatorToken}${
    flora.operatorTokenCreated ? "  (new; kept in " + config.dataDir + "/operator-token)" : ""
  }`,
];
if (flora.emulator) {
  const world = flora.emulator.seeded?.guilds ?? [];
  lines.push(
    `  Discord:    built-in emulator at ${flora.emulator.url} (no DISCORD_TOKEN set)`,
    "",
    "Guilds in the emulator:",
    ...world.map((g) => `  ${g.id}  ${g.name}`),
    "",
    "Deploy the example bot to the first one:",
    `  deno task deploy --guild ${world[0]?.id ?? "<guild id>"} examples/ping.ts`,
  );
} else {
  lines.push(
    "  Discord:    connected with DISCORD_TOKEN",
    "",
    "Deploy a bot:",
    "  deno task deploy --guild <guild id> examples/ping.ts",
  );
}
if (flora.restored > 0) lines.push("", `Restored ${flora.restored} deployment(s).`);
console.log(lines.join("\n") + "\n");
// Built from npm once per version and cached on disk; warmed now so the first visit is quick.
dashboardAssets().then(
  (built) => {
    if (built.buildMs > 0) console.error(`[flora] dashboard assets built in ${built.buildMs} ms`);
  },
  (error) => console.error(`[flora] warn: the dashboard could not be built: ${error}`),
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log("flora: shutting down…");
  await flora.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
