import { assert, assertEquals, assertRejects } from "./contract/assert.ts";
import { openStorage, readStorageConfig, StorageConfigError } from "./config.ts";
import { connectPostgres } from "./postgres/connect.ts";
import { connectRedis, deleteKeysWithPrefix } from "./redis/connect.ts";
import {
  postgresGate,
  redisGate,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from "./testing/servers.ts";

const KEY = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

Deno.test("readStorageConfig: nothing set means embedded in .data", () => {
  assertEquals(readStorageConfig({}), { dataDir: ".data" });
  assertEquals(readStorageConfig({ FLORA_DATA_DIR: " /var/lib/flora ", REDIS_URL: "" }), {
    dataDir: "/var/lib/flora",
  });
});

Deno.test("readStorageConfig: accepts every variable", () => {
  const env = {
    FLORA_DATA_DIR: "/data",
    DATABASE_URL: "postgresql://u:p@db:5432/flora",
    REDIS_URL: "rediss://cache:6380",
    FLORA_KV_URL: "https://api.deno.com/databases/abc/connect",
    FLORA_SECRETS_KEY: KEY,
    DENO_KV_ACCESS_TOKEN: "token",
  };
  assertEquals(readStorageConfig(env), {
    dataDir: "/data",
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    kvUrl: env.FLORA_KV_URL,
    secretsKey: KEY,
  });
});

Deno.test("readStorageConfig: lists every problem and never echoes credentials", () => {
  let error: unknown;
  try {
    readStorageConfig({
      DATABASE_URL: "mysql://root:hunter2@db/flora",
      REDIS_URL: "not a url",
      FLORA_KV_URL: "ftp://kv",
      FLORA_SECRETS_KEY: "short",
    });
  } catch (e) {
    error = e;
  }
  assert(error instanceof StorageConfigError, "throws StorageConfigError");
  assertEquals(error.problems.length, 4, error.message);
  assert(error.message.includes("DATABASE_URL must start with postgres:// or postgresql://"));
  assert(error.message.includes("REDIS_URL is not a URL"));
  assert(error.message.includes("FLORA_KV_URL must start with http:// or https://"));
  assert(error.message.includes("FLORA_SECRETS_KEY must be base64 of 32"));
  assert(!error.message.includes("hunter2"), "password not in message");
});

Deno.test("readStorageConfig: a remote KV needs an access token", () => {
  try {
    readStorageConfig({ FLORA_KV_URL: "https://kv.example/connect", FLORA_SECRETS_KEY: KEY });
    throw new Error("expected StorageConfigError");
  } catch (error) {
    assert(error instanceof StorageConfigError, String(error));
    assertEquals(error.problems.length, 1);
    assert(error.problems[0].includes("DENO_KV_ACCESS_TOKEN"));
  }
});

Deno.test("readStorageConfig: a shared database needs a shared secrets key", () => {
  const error = (() => {
    try {
      readStorageConfig({ DATABASE_URL: "postgres://db/flora" });
    } catch (e) {
      return e;
    }
  })();
  assert(error instanceof StorageConfigError);
  assertEquals(error.problems.length, 1);
  assert(error.problems[0].startsWith("FLORA_SECRETS_KEY is required"));
});

Deno.test("readStorageConfig: FLORA_GUILD_KV picks the guild KV backend", () => {
  assertEquals(
    readStorageConfig({
      DATABASE_URL: "postgres://db/flora",
      FLORA_SECRETS_KEY: KEY,
      FLORA_GUILD_KV: "postgres",
    }).guildKv,
    "postgres",
  );
  assertEquals(readStorageConfig({ FLORA_GUILD_KV: "deno-kv" }).guildKv, undefined);
  for (
    const [env, problem] of [
      [{ FLORA_GUILD_KV: "postgres" }, "FLORA_GUILD_KV=postgres needs DATABASE_URL"],
      [{ FLORA_GUILD_KV: "pg" }, 'FLORA_GUILD_KV must be "deno-kv" (default) or "postgres"'],
    ] as const
  ) {
    try {
      readStorageConfig(env);
      throw new Error("expected StorageConfigError");
    } catch (error) {
      assert(error instanceof StorageConfigError, String(error));
      assertEquals(error.problems.length, 1, error.message);
      assert(error.problems[0].startsWith(problem), error.problems[0]);
    }
  }
});

Deno.test("openStorage: embedded survives a restart (deployments, secrets, logs, guild KV)", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "flora-storage-" });
  try {
    const first = await openStorage(readStorageConfig({ FLORA_DATA_DIR: dataDir }));
    let deploymentId: string;
    try {
      assert(Object.values(first.backends).every((b) => b === "deno-kv"), "all embedded");
      const d = await first.deployments.create({
        guildId: "g",
        createdBy: "ci",
        bundle: { entry: "main.ts", code: "export {}" },
      });
      deploymentId = d.id;
      await first.deployments.setStatus(d.id, "active");
      await first.secrets.put("g", "TOKEN", "abc");
      await first.logs.append("g", { level: "info", message: "hello" });
      await first.guildKv.set("g", "s", "k", 42);
    } finally {
      await first.close();
    }
    const info = await Deno.stat(`${dataDir}/secrets.key`);
    assertEquals((info.mode ?? 0) & 0o777, 0o600);

    const second = await openStorage(readStorageConfig({ FLORA_DATA_DIR: dataDir }));
    try {
      assertEquals((await second.deployments.listActive()).map((d) => d.id), [deploymentId]);
      assertEquals(await second.secrets.reveal("g", "TOKEN"), "abc");
      assertEquals((await second.logs.recent("g")).map((r) => r.message), ["hello"]);
      assertEquals((await second.guildKv.get("g", "s", "k"))?.value, 42);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("openStorage: a wrong secrets key is reported, not silently decrypted", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "flora-storage-" });
  try {
    const first = await openStorage({ dataDir, secretsKey: KEY });
    await first.secrets.put("g", "TOKEN", "abc").finally(() => first.close());
    const other = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const second = await openStorage({ dataDir, secretsKey: other });
    try {
      await assertRejects(
        () => second.secrets.reveal("g", "TOKEN"),
        Error,
        "not the configured key",
      );
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

const pg = await postgresGate();
const redis = await redisGate();
const servers = { ignore: pg.ignore || redis.ignore, note: pg.note + redis.note };

Deno.test({
  name: `openStorage: DATABASE_URL and REDIS_URL move their concerns to the servers${servers.note}`,
  ignore: servers.ignore,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "flora-storage-" });
    const schema = uniqueName("flora_test");
    const prefix = `${uniqueName("flora_test")}:`;
    const storage = await openStorage(
      readStorageConfig({
        FLORA_DATA_DIR: dataDir,
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        FLORA_SECRETS_KEY: KEY,
        FLORA_GUILD_KV: "postgres",
      }),
      { postgresSchema: schema, redisPrefix: prefix },
    );
    try {
      assertEquals(storage.backends, {
        deployments: "postgres",
        guildKv: "postgres",
        guildSorted: "postgres",
        tokens: "postgres",
        secrets: "postgres",
        sessions: "redis",
        cache: "redis",
        rateLimits: "redis",
        logs: "postgres",
        events: "redis",
      });
      const d = await storage.deployments.create({
        guildId: "g",
        createdBy: "ci",
        bundle: { entry: "main.ts", code: "export {}" },
      });
      assertEquals((await storage.deployments.get(d.id))?.revision, 1);
      await storage.guildKv.set("g", "s", "k", 1);
      await storage.logs.append("g", { level: "info", message: "hello" });
      const sql = await connectPostgres(TEST_DATABASE_URL, { schema, max: 1 });
      try {
        const rows = await sql`select key from guild_kv`;
        assertEquals(rows.map((r) => r.key), ["k"], "guild KV lives in PostgreSQL");
        const lines = await sql`select message from guild_logs`;
        assertEquals(lines.map((r) => r.message), ["hello"], "guild logs live in PostgreSQL");
      } finally {
        await sql.end();
      }
      await storage.cache.set("k", [1], 60_000);
      assertEquals(await storage.cache.get("k"), [1]);
    } finally {
      await storage.close();
      const sql = await connectPostgres(TEST_DATABASE_URL, { max: 1 });
      await sql.unsafe(`drop schema if exists ${schema} cascade`).finally(() => sql.end());
      const client = await connectRedis(TEST_REDIS_URL);
      await deleteKeysWithPrefix(client, prefix).finally(() => client.close());
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
