/**
 * `deno task emulator`: starts an emulator and prints where everything is.
 * Flags: --port=N (default 8788, one above flora's API), --heartbeat=MS,
 * --shards=N, --token=T, --world=FILE (keep the world in a JSON file across restarts),
 * --identify-interval=MS (default Discord's 5000; 0 turns the identify limit off),
 * --max-concurrency=N, --max-messages=N (messages kept per channel; default 1,000).
 *
 * @module
 */

import { DEFAULT_EMULATOR_PORT } from "./defaults.ts";
import { type Emulator, startEmulator } from "./mod.ts";

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const port = Number(flag("port") ?? DEFAULT_EMULATOR_PORT);
let emu: Emulator;
try {
  emu = await startEmulator({
    port,
    heartbeatIntervalMs: flag("heartbeat") ? Number(flag("heartbeat")) : undefined,
    shards: flag("shards") ? Number(flag("shards")) : undefined,
    token: flag("token"),
    worldFile: flag("world"),
    identifyIntervalMs: flag("identify-interval") ? Number(flag("identify-interval")) : undefined,
    maxConcurrency: flag("max-concurrency") ? Number(flag("max-concurrency")) : undefined,
    maxMessagesPerChannel: flag("max-messages") ? Number(flag("max-messages")) : undefined,
  });
} catch (error) {
  if (!(error instanceof Deno.errors.AddrInUse)) throw error;
  console.error(
    `emulator: port ${port} is already in use; pass --port=N with a free port (--port=0: any)`,
  );
  Deno.exit(2);
}

const lines = [
  "flora Discord emulator",
  `  gateway   ${emu.gatewayUrl}/?v=10&encoding=json`,
  `  REST      ${emu.restBase}/v10   (Discordeno rest.proxy.baseUrl: ${emu.restBase})`,
  `  control   ${emu.controlUrl}   (GET /world, POST /messages, POST /interactions/slash, GET /actions)`,
  `  token     ${emu.token}`,
  `  app/bot   ${emu.applicationId}`,
];
if (emu.seeded) {
  const { users, guilds } = emu.seeded;
  lines.push(`  users     admin alice=${users.admin}  member bob=${users.member}`);
  for (const g of guilds) {
    lines.push(
      `  guild     ${g.name}=${g.id}  #general=${g.channels.general}  #bot-commands=${g.channels.botCommands}`,
      `            roles Admin=${g.roles.admin} Member=${g.roles.member}`,
    );
  }
}
console.log(lines.join("\n"));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await emu.close();
    Deno.exit(0);
  });
}
