/**
 * Redis going down while flora runs: the bot keeps answering (nothing on the
 * event path needs Redis) and `/health` says Redis is down. Uses a private
 * redis-server on its own port, so the shared one is never touched.
 */

import { CapturedOutput } from "./helpers/captured_output.ts";
import assert from "node:assert/strict";
import { EmulatorClient } from "../emulator/mod.ts";
import { loadConfig } from "../runtime/config.ts";
import { startFlora } from "../runtime/flora.ts";
import { bundle } from "../client/bundle.ts";

async function redisServerAvailable(): Promise<boolean> {
  try {
    return (await new Deno.Command("redis-server", { args: ["--version"], stdout: "null" })
      .output())
      .success;
  } catch {
    return false;
  }
}

const available = await redisServerAvailable();
const inCi = Deno.env.get("CI") === "true";

Deno.test({
  name: `Redis down at run time: the bot keeps answering and health says so${
    available || inCi ? "" : " [skipped: no redis-server binary]"
  }`,
  ignore: !available && !inCi,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const redis = new Deno.Command("redis-server", {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let redisAlive = true;
    const dataDir = await Deno.makeTempDir({ prefix: "flora-redisdown-" });
    // Wait until the private server accepts connections.
    for (let i = 0; i < 100; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // The host's notices about the Redis it loses are expected: kept, shown only on failure.
    const output = new CapturedOutput();
    const flora = await startFlora(
      loadConfig({
        FLORA_DATA_DIR: dataDir,
        FLORA_API_PORT: "0",
        FLORA_EMULATOR_PORT: "0",
        FLORA_SANDBOX_PROCESSES: "1",
        REDIS_URL: `redis://127.0.0.1:${port}`,
      }),
      {
        emulatorHeartbeatMs: 30_000,
        emulatorIdentifyIntervalMs: 0,
        spawnShardDelay: 0,
        onNotice: (level, message) => output.line(`[flora] ${level}: ${message}`),
      },
    );
    try {
      await output.printOnFailure("Redis down at run time", async () => {
        const emulator = flora.emulator!;
        const emu = new EmulatorClient(emulator.url);
        const guild = emulator.seeded!.guilds[0];
        const health = async () => await (await fetch(`${flora.apiUrl}/health`)).json();
        const ping = async () => {
          const since = emulator.actions.lastSeq;
          await emu.sendMessage({
            guildId: guild.id,
            channelId: guild.channels.general,
            userId: emulator.seeded!.users.member,
            content: "!ping",
          });
          await emu.waitForAction((a) =>
            a.seq > since && a.route === "POST /channels/:id/messages" &&
            (a.body as { content?: string }).content === "pong!"
          );
        };

        const before = await health();
        assert.equal(before.status, "ok");
        assert.equal(before.storage.redis, "ok");
        const deployed = await fetch(`${flora.apiUrl}/deployments/${guild.id}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${flora.operatorToken}`,
            "content-type": "application/json",
          },
          body: JSON.stringify(
            await bundle(new URL("../examples/ping.ts", import.meta.url).pathname),
          ),
        });
        assert.equal(deployed.status, 201);
        await ping();

        redis.kill("SIGKILL");
        await redis.status;
        redisAlive = false;

        const after = await health();
        assert.equal(after.status, "degraded");
        assert.match(after.storage.redis, /^down: /);
        assert.equal(after.storage.kv, "ok");
        await ping(); // still serving
        // The loss is reported once per connection, in one line each, not a trace per retry.
        const notices = output.text().split("\n").filter((l) => l.includes("redis"));
        assert.ok(
          notices.some((l) => /redis: connection lost \(.+\); reconnecting$/.test(l)),
          output.text(),
        );
        assert.ok(notices.length <= 2, output.text());
        assert.doesNotMatch(output.text(), /^\s+at /m);
      });
    } finally {
      await flora.close();
      if (redisAlive) {
        redis.kill("SIGKILL");
        await redis.status;
      }
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
