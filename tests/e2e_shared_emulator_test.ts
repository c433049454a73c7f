/**
 * `DISCORD_API_URL`: flora connects to a standalone emulator (another process,
 * as several cluster nodes would share one) instead of starting its own; the
 * gateway URL comes from that API's `GET /gateway/bot`, as on Discord.
 */

import assert from "node:assert/strict";
import { bundle } from "../client/bundle.ts";
import { EmulatorClient } from "../emulator/mod.ts";
import { loadConfig } from "../runtime/config.ts";
import { startFlora } from "../runtime/flora.ts";
import { startEmulatorProcess } from "./helpers/emulator_process.ts";

Deno.test({
  name:
    "flora with DISCORD_API_URL answers through a standalone emulator, starting none of its own",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const emulator = await startEmulatorProcess(["--heartbeat=30000"]);
    const dataDir = await Deno.makeTempDir({ prefix: "flora-shared-emu-" });
    try {
      const config = loadConfig({
        FLORA_DATA_DIR: dataDir,
        FLORA_API_PORT: "0",
        FLORA_SANDBOX_PROCESSES: "1",
        DISCORD_TOKEN: emulator.token,
        DISCORD_API_URL: `${emulator.restBase}/v10/`,
      });
      assert.equal(config.discordApiUrl, emulator.restBase);
      const flora = await startFlora(config, { spawnShardDelay: 0 });
      try {
        assert.equal(flora.emulator, undefined, "no built-in emulator");
        const emu = new EmulatorClient(emulator.controlUrl);
        const sessions = await emu.sessions();
        assert.equal(sessions.length, 1, "flora's shard identified to the standalone emulator");

        const guild = emulator.guilds[0];
        const scriptPath = `${dataDir}/ping.ts`;
        await Deno.writeTextFile(
          scriptPath,
          `createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong") })] });\n`,
        );
        const deployed = await fetch(`${flora.apiUrl}/deployments/${guild.id}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${flora.operatorToken}`,
            "content-type": "application/json",
          },
          body: JSON.stringify(await bundle(scriptPath)),
        });
        assert.equal(deployed.status, 201, await deployed.text());
        const since = (await emu.actions()).at(-1)?.seq ?? 0;
        await emu.sendMessage({
          guildId: guild.id,
          channelId: guild.general,
          userId: emulator.users.member,
          content: "!ping",
        });
        const reply = await emu.waitForAction((a) =>
          a.seq > since && a.route === "POST /channels/:id/messages" &&
          (a.body as { content?: string }).content === "pong"
        );
        assert.equal(reply.guildId, guild.id);
        const cluster = await fetch(`${flora.apiUrl}/cluster`, {
          headers: { authorization: `Bearer ${flora.operatorToken}` },
        });
        assert.deepEqual(await cluster.json(), { mode: "single" });
        const anonymous = await fetch(`${flora.apiUrl}/cluster`);
        assert.equal(anonymous.status, 401, "the cluster view needs the operator token");
        await anonymous.body?.cancel();
      } finally {
        await flora.close();
      }
    } finally {
      await emulator.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("startFlora refuses role combinations not wired yet, pointing at docs/cluster.md", async () => {
  const config = loadConfig({
    FLORA_ROLE: "gateway,api",
    DISCORD_TOKEN: "MTIz.abc.def",
    FLORA_GUILD_KV: "postgres",
    NATS_URL: "nats://127.0.0.1:4222",
    DATABASE_URL: "postgres://127.0.0.1/none",
    FLORA_SECRETS_KEY: btoa(String.fromCharCode(...new Uint8Array(32))),
  });
  await assert.rejects(() => startFlora(config), /FLORA_ROLE=gateway,api: .*docs\/cluster\.md/);
});
