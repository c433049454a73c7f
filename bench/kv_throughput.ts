/**
 * KV throughput from a script: a deployed script runs `kv.set` / `kv.get`
 * through the real path (worker → sandbox process → host → store) and
 * reports ops/s, on the embedded setup and on PostgreSQL + Redis (when the
 * servers are reachable). Run: `deno task bench:kv`.
 *
 * @module
 */

import { bundle } from "../client/bundle.ts";
import { EmulatorClient } from "../emulator/mod.ts";
import { loadConfig } from "../runtime/config.ts";
import { startFlora } from "../runtime/flora.ts";
import { connectRedis, deleteKeysWithPrefix } from "../storage/redis/connect.ts";
import {
  postgresGate,
  redisGate,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from "../storage/testing/servers.ts";
import postgres from "postgres";

const OPS = 2_000;

/** The script under test: `!kvbench` runs the measurements and replies with JSON. */
const SCRIPT = `
const store = kv("bench");
async function timed(fn) { const t = performance.now(); await fn(); return performance.now() - t; }
createBot({ prefixCommands: [prefix({ name: "kvbench", run: async (ctx) => {
  const n = ${OPS};
  const seqSet = await timed(async () => { for (let i = 0; i < n; i++) await store.set("k" + i, { i }); });
  const seqGet = await timed(async () => { for (let i = 0; i < n; i++) await store.get("k" + i); });
  const batch = async (op) => { for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => op(i + j))); };
  const parSet = await timed(() => batch((i) => store.set("p" + i, { i })));
  const parGet = await timed(() => batch((i) => store.get("p" + i)));
  const rate = (ms) => Math.round(n / (ms / 1000));
  await ctx.reply(JSON.stringify({ seqSet: rate(seqSet), seqGet: rate(seqGet), parSet: rate(parSet), parGet: rate(parGet) }));
} })] });
`;

interface Figures {
  seqSet: number;
  seqGet: number;
  parSet: number;
  parGet: number;
}

async function measure(env: Record<string, string>): Promise<Figures> {
  const dataDir = await Deno.makeTempDir({ prefix: "flora-kvbench-" });
  const flora = await startFlora(
    loadConfig({
      FLORA_DATA_DIR: dataDir,
      FLORA_API_PORT: "0",
      FLORA_EMULATOR_PORT: "0",
      FLORA_EVENT_TIMEOUT_MS: "120000",
      // The storage path's own speed, not the per-guild budget that paces a flood.
      FLORA_GUILD_STORAGE_PER_SECOND: "1000000",
      ...env,
    }),
    { emulatorHeartbeatMs: 30_000, emulatorIdentifyIntervalMs: 0, spawnShardDelay: 0 },
  );
  try {
    const emulator = flora.emulator!;
    const emu = new EmulatorClient(emulator.url);
    const guild = emulator.seeded!.guilds[0];
    const path = `${dataDir}/kvbench.ts`;
    await Deno.writeTextFile(path, SCRIPT);
    const response = await fetch(`${flora.apiUrl}/deployments/${guild.id}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${flora.operatorToken}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(await bundle(path)),
    });
    if (response.status !== 201) throw new Error(`deploy failed: ${await response.text()}`);
    const since = emulator.actions.lastSeq;
    await emu.sendMessage({
      guildId: guild.id,
      channelId: guild.channels.general,
      userId: emulator.seeded!.users.member,
      content: "!kvbench",
    });
    const reply = await emu.waitForAction(
      (a) =>
        a.seq > since && a.route === "POST /channels/:id/messages" &&
        String((a.body as { content?: string }).content).startsWith("{"),
      120_000,
    );
    return JSON.parse((reply.body as { content: string }).content);
  } finally {
    await flora.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

const rows: [string, Figures][] = [["embedded (Deno KV file)", await measure({})]];
const pg = await postgresGate();
const redis = await redisGate();
if (!pg.ignore && !redis.ignore) {
  const schema = uniqueName("flora_kvbench");
  const prefix = `${uniqueName("flora_kvbench")}:`;
  try {
    rows.push([
      "PostgreSQL + Redis",
      await measure({
        DATABASE_URL: TEST_DATABASE_URL,
        FLORA_POSTGRES_SCHEMA: schema,
        REDIS_URL: TEST_REDIS_URL,
        FLORA_REDIS_PREFIX: prefix,
        FLORA_SECRETS_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
      }),
    ]);
  } finally {
    const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    await sql.unsafe(`drop schema if exists ${schema} cascade`);
    await sql.end();
    const client = await connectRedis(TEST_REDIS_URL);
    await deleteKeysWithPrefix(client, prefix);
    await client.close();
  }
} else {
  console.log(`PostgreSQL + Redis setup skipped:${pg.note}${redis.note}`);
}

console.log(`\nKV from a script, ${OPS} ops each (ops/s; "batched" = 100 in flight):\n`);
console.log(
  "setup".padEnd(26) + "set seq".padStart(10) + "get seq".padStart(10) +
    "set batched".padStart(13) + "get batched".padStart(13),
);
for (const [name, f] of rows) {
  console.log(
    name.padEnd(26) + String(f.seqSet).padStart(10) + String(f.seqGet).padStart(10) +
      String(f.parSet).padStart(13) + String(f.parGet).padStart(13),
  );
}
await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/kv_throughput.json", import.meta.url),
  JSON.stringify(
    { ops: OPS, at: new Date().toISOString(), rows: Object.fromEntries(rows) },
    null,
    2,
  ) + "\n",
);
Deno.exit(0);
