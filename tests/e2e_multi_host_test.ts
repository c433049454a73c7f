/**
 * Several hosts on one PostgreSQL + Redis: a deployment activated by another
 * host reaches this one through Redis pub/sub, and the guild switches to it
 * without a restart. The "other host" is a second storage connection doing
 * what a host's deployer does (store, activate, publish).
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { bundle } from "../client/bundle.ts";
import { EmulatorClient } from "../emulator/mod.ts";
import { loadConfig } from "../runtime/config.ts";
import { startFlora } from "../runtime/flora.ts";
import { openStorage } from "../storage/config.ts";
import { connectRedis, deleteKeysWithPrefix } from "../storage/redis/connect.ts";
import {
  postgresGate,
  redisGate,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from "../storage/testing/servers.ts";

const pg = await postgresGate();
const redis = await redisGate();

function script(reply: string): string {
  return `createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply(${
    JSON.stringify(reply)
  }) })] });\n`;
}

Deno.test({
  name: `a deployment activated on another host goes live here at once${pg.note || redis.note}`,
  ignore: pg.ignore || redis.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const schema = uniqueName("flora_sync");
    const prefix = `${uniqueName("flora_sync")}:`;
    const dataDir = await Deno.makeTempDir({ prefix: "flora-sync-" });
    const scripts = await Deno.makeTempDir({ prefix: "flora-sync-scripts-" });
    const env = {
      FLORA_DATA_DIR: dataDir,
      FLORA_API_PORT: "0",
      FLORA_EMULATOR_PORT: "0",
      FLORA_SANDBOX_PROCESSES: "1",
      DATABASE_URL: TEST_DATABASE_URL,
      FLORA_POSTGRES_SCHEMA: schema,
      REDIS_URL: TEST_REDIS_URL,
      FLORA_REDIS_PREFIX: prefix,
      FLORA_SECRETS_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
    };
    const config = loadConfig(env);
    const flora = await startFlora(config, {
      emulatorHeartbeatMs: 30_000,
      emulatorIdentifyIntervalMs: 0,
      spawnShardDelay: 0,
    });
    const other = await openStorage(
      loadConfig({ ...env, FLORA_DATA_DIR: `${dataDir}/other` }).storage,
    );
    try {
      const emulator = flora.emulator!;
      const emu = new EmulatorClient(emulator.url);
      const guild = emulator.seeded!.guilds[0];
      const user = emulator.seeded!.users.member;
      const ping = async (expected: string) => {
        const since = emulator.actions.lastSeq;
        await emu.sendMessage({
          guildId: guild.id,
          channelId: guild.channels.general,
          userId: user,
          content: "!ping",
        });
        await emu.waitForAction((a) =>
          a.seq > since && a.route === "POST /channels/:id/messages" &&
          (a.body as { content?: string }).content === expected
        );
      };

      await Deno.writeTextFile(`${scripts}/v1.ts`, script("pong from v1"));
      const response = await fetch(`${flora.apiUrl}/deployments/${guild.id}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${flora.operatorToken}`,
          "content-type": "application/json",
        },
        body: JSON.stringify(await bundle(`${scripts}/v1.ts`)),
      });
      assert.equal(response.status, 201);
      await ping("pong from v1");

      // The other host deploys v2: stored, activated and announced, as its deployer does.
      await Deno.writeTextFile(`${scripts}/v2.ts`, script("pong from v2"));
      const stored = await other.deployments.create({
        guildId: guild.id,
        createdBy: "host-b",
        bundle: await bundle(`${scripts}/v2.ts`),
      });
      const active = await other.deployments.setStatus(stored.id, "active");
      await other.events.publish({ guildId: guild.id, deploymentId: active.id, status: "active" });

      // This host switches without an API call or a restart.
      for (
        let i = 0;
        i < 200 && flora.sandboxes.activeDeployment(guild.id)?.id !== active.id;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(flora.sandboxes.activeDeployment(guild.id)?.id, active.id);
      await ping("pong from v2");
    } finally {
      await other.close();
      await flora.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await Deno.remove(scripts, { recursive: true }).catch(() => {});
      const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop schema if exists ${schema} cascade`);
      await sql.end();
      const client = await connectRedis(TEST_REDIS_URL);
      await deleteKeysWithPrefix(client, prefix);
      await client.close();
    }
  },
});
