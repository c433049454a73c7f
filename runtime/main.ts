/**
 * `deno task start`: runs flora. With no `DISCORD_TOKEN` it serves against
 * the built-in Discord emulator on the embedded database, so a fresh clone
 * works with this one command.
 *
 * @module
 */

import { dashboardAssets } from "../dashboard/assets.ts";
import { loadConfig } from "./config.ts";
import { ConfigError } from "./env_parsing.ts";
import { floraCommand, installCommand } from "./cli_invocation.ts";
import type { Emulator } from "../emulator/mod.ts";
import { bannerLines } from "./banner.ts";
import { EMULATOR_WORLD_FILE, type Flora, startFlora } from "./flora.ts";
import { writeRuntimeInfo } from "./runtime_info.ts";
import { runGatewayNode } from "./cluster/gateway_node.ts";
import { API_VERSION } from "../api/app.ts";
import { errorMessage } from "../shared/error_message.ts";

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

if (config.roles.size === 1 && config.roles.has("gateway")) {
  Deno.exit(await runGatewayNode(config, API_VERSION));
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
  console.error(`flora: could not start: ${errorMessage(error)}`);
  Deno.exit(1);
}

await writeRuntimeInfo(config.dataDir, {
  apiUrl: flora.apiUrl,
  emulatorUrl: flora.emulator?.url,
  pid: Deno.pid,
});

const env = Deno.env.toObject();
const emulator = flora.emulator;
console.log(
  bannerLines({
    apiUrl: flora.apiUrl,
    dataDir: config.dataDir,
    operatorToken: flora.operatorToken,
    operatorTokenCreated: flora.operatorTokenCreated,
    backends: flora.backends,
    flora: floraCommand(env),
    install: installCommand(env),
    emulator: emulator && {
      url: emulator.url,
      worldFile: `${config.dataDir}/${EMULATOR_WORLD_FILE}`,
      guilds: emulatorGuilds(emulator),
      memberId: emulator.seeded?.users.member,
    },
    discordApiUrl: config.discordApiUrl,
    restored: flora.restored,
  }).join("\n"),
);

/** The guilds the bot is in, seeded ones first, each with its first text channel. */
function emulatorGuilds(emulator: Emulator) {
  const { state } = emulator;
  return [...state.guilds.values()]
    .filter((g) => g.members.has(state.botUser.id))
    .map((g) => ({
      id: g.guild.id,
      name: g.guild.name,
      general: g.channelIds.find((id) => state.channels.get(id)?.channel.type === 0),
    }));
}
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
