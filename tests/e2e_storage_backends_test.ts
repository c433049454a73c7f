/**
 * flora on its production backends (PostgreSQL for deployments, Redis for
 * sessions/cache/events) as a real process: deploys survive a `kill -9`,
 * health reports the backends, a PostgreSQL that is down at start is a clear
 * error. Needs the servers on 127.0.0.1 (skipped with a reason outside CI).
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { type BotAction, EmulatorClient } from "../emulator/mod.ts";
import { deleteKeysWithPrefix } from "../storage/redis/connect.ts";
import { connectRedis } from "../storage/redis/connect.ts";
import {
  postgresGate,
  redisGate,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from "../storage/testing/servers.ts";
import { runCli, startFloraProcess } from "./helpers/flora_process.ts";

const pg = await postgresGate();
const redis = await redisGate();
const note = pg.note || redis.note;

function randomKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

async function operatorToken(dataDir: string): Promise<string> {
  return (await Deno.readTextFile(`${dataDir}/operator-token`)).trim();
}

Deno.test({
  name: `production backends: deploys survive kill -9, health names the backends${note}`,
  ignore: pg.ignore || redis.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const schema = uniqueName("flora_e2e");
    const prefix = `${uniqueName("flora_e2e")}:`;
    const env = {
      DATABASE_URL: TEST_DATABASE_URL,
      FLORA_POSTGRES_SCHEMA: schema,
      REDIS_URL: TEST_REDIS_URL,
      FLORA_REDIS_PREFIX: prefix,
      FLORA_SECRETS_KEY: randomKey(),
    };
    const dataDir = await Deno.makeTempDir({ prefix: "flora-backends-" });
    let flora = await startFloraProcess({ env, dataDir, keepDataDir: true });
    try {
      const emu = new EmulatorClient(flora.info.emulatorUrl!);
      const [guild] = (await emu.world()).guilds;
      const token = await operatorToken(dataDir);
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${flora.info.apiUrl}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        });

      await t.step("health reports the configured backends", async () => {
        const health = await (await api("/health")).json();
        assert.equal(health.status, "ok");
        assert.equal(health.backends.deployments, "postgres");
        assert.equal(health.backends.sessions, "redis");
        assert.equal(health.backends.guildKv, "deno-kv");
        assert.deepEqual(health.storage, { kv: "ok", postgres: "ok", redis: "ok" });
      });

      const acknowledged: { id: string; revision: number }[] = [];
      await t.step("a burst of deploys, then kill -9 in the middle of one", async () => {
        const run = await runCli(["deploy", "--guild", guild.id, "examples/ping.ts"], {
          FLORA_DATA_DIR: dataDir,
        });
        assert.equal(run.code, 0, run.stderr);
        const code =
          `createBot({ prefixCommands: [prefix({ name: "ping", run: (c) => c.reply("pong!") })] });`;
        for (let i = 0; i < 3; i++) {
          const response = await api(`/deployments/${guild.id}`, {
            method: "POST",
            body: JSON.stringify({ entry: `burst-${i}.ts`, code }),
          });
          assert.equal(response.status, 201);
          const { deployment } = await response.json();
          acknowledged.push({ id: deployment.id, revision: deployment.revision });
        }
        // One more in flight when the host dies: it may or may not have been stored.
        const inFlight = api(`/deployments/${guild.id}`, {
          method: "POST",
          body: JSON.stringify({ entry: "in-flight.ts", code }),
        }).catch(() => null);
        await new Promise((r) => setTimeout(r, 5));
        await flora.kill();
        await inFlight;
      });

      await t.step("after a restart nothing acknowledged is lost and the bot answers", async () => {
        flora = await startFloraProcess({ env, dataDir, keepDataDir: true });
        const emu2 = new EmulatorClient(flora.info.emulatorUrl!);
        const [guild2] = (await emu2.world()).guilds;
        const history =
          await (await fetch(`${flora.info.apiUrl}/deployments/${guild.id}?limit=50`, {
            headers: { authorization: `Bearer ${token}` },
          })).json();
        const stored = new Map<string, { revision: number; status: string }>(
          history.deployments.map((
            d: { id: string; revision: number; status: string },
          ) => [d.id, d]),
        );
        for (const ack of acknowledged) {
          const d = stored.get(ack.id);
          assert.ok(d, `acknowledged deployment ${ack.id} was lost`);
          assert.equal(d.revision, ack.revision);
          assert.ok(["active", "superseded"].includes(d.status), `${ack.id} is ${d.status}`);
        }
        const active = history.deployments.filter((d: { status: string }) => d.status === "active");
        assert.equal(active.length, 1, "exactly one active deployment");
        assert.ok(active[0].revision >= acknowledged.at(-1)!.revision);
        // The restored deployment serves (the new emulator is a new world: the guild
        // id differs, so check restoration through the API's record and a fresh deploy).
        const run = await runCli(["deploy", "--guild", guild2.id, "examples/ping.ts"], {
          FLORA_DATA_DIR: dataDir,
        });
        assert.equal(run.code, 0, run.stderr);
        const channel = guild2.channels.find((c) => c.name === "general")!.id;
        const user = guild2.members.find((m) => !m.bot)!.userId;
        await emu2.sendMessage({
          guildId: guild2.id,
          channelId: channel,
          userId: user,
          content: "!ping",
        });
        await emu2.waitForAction((a: BotAction) =>
          a.route === "POST /channels/:id/messages" &&
          (a.body as { content?: string }).content === "pong!"
        );
      });
    } finally {
      await flora.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop schema if exists ${schema} cascade`);
      await sql.end();
      const client = await connectRedis(TEST_REDIS_URL);
      await deleteKeysWithPrefix(client, prefix);
      await client.close();
    }
  },
});

Deno.test({
  name: "PostgreSQL down at start is a clear error, not a hang",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "runtime/main.ts"],
      cwd: new URL("../", import.meta.url),
      env: {
        FLORA_DATA_DIR: await Deno.makeTempDir({ prefix: "flora-pgdown-" }),
        FLORA_API_PORT: "0",
        FLORA_EMULATOR_PORT: "0",
        // Port 9 (discard) has no PostgreSQL: the connection is refused at once.
        DATABASE_URL: "postgres://postgres@127.0.0.1:9/test",
        FLORA_SECRETS_KEY: randomKey(),
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 1, stderr);
    assert.match(stderr, /flora: could not start: .*(ECONNREFUSED|refused|connect)/i);
  },
});

Deno.test("bad storage configuration is reported before anything starts", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "runtime/main.ts"],
    cwd: new URL("../", import.meta.url),
    env: { DATABASE_URL: "mysql://db/flora", REDIS_URL: "not a url", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 2, stderr);
  assert.match(stderr, /configuration error/);
  assert.match(stderr, /DATABASE_URL must start with postgres:\/\//);
  assert.match(stderr, /REDIS_URL is not a URL/);
});
