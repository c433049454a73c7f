/**
 * `deno task emulator`: starts an emulator and prints where everything is.
 * Flags: --port=N (default 8787), --heartbeat=MS, --shards=N, --token=T,
 * --identify-interval=MS (default Discord's 5000; 0 turns the identify limit off),
 * --max-concurrency=N.
 *
 * @module
 */

import { startEmulator } from "./mod.ts";

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const emu = await startEmulator({
  port: Number(flag("port") ?? 8787),
  heartbeatIntervalMs: flag("heartbeat") ? Number(flag("heartbeat")) : undefined,
  shards: flag("shards") ? Number(flag("shards")) : undefined,
  token: flag("token"),
  identifyIntervalMs: flag("identify-interval") ? Number(flag("identify-interval")) : undefined,
  maxConcurrency: flag("max-concurrency") ? Number(flag("max-concurrency")) : undefined,
});

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
