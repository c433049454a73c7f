import assert from "node:assert/strict";
import { loadConfig } from "./config.ts";
import { ConfigError } from "./env_parsing.ts";
import { allowedCpus } from "./sandbox/cpu_affinity.ts";

Deno.test("loadConfig has working defaults with an empty environment", () => {
  const config = loadConfig({});
  assert.equal(config.discordToken, undefined);
  assert.equal(config.dataDir, ".data");
  assert.equal(config.apiPort, 8787);
  assert.equal(config.sandboxProcesses, 2);
  // The host's main thread before a thousand guild threads (pool_test.ts checks every thread).
  assert.equal(config.sandboxNice, 10);
});

Deno.test("loadConfig explains what is wrong with a value", () => {
  assert.throws(
    () => loadConfig({ FLORA_API_PORT: "eighty" }),
    (e: Error) =>
      e instanceof ConfigError &&
      /FLORA_API_PORT must be a whole number from 0 to 65535/.test(e.message),
  );
  assert.throws(() => loadConfig({ DISCORD_TOKEN: "nope" }), /does not look like a bot token/);
  assert.throws(() => loadConfig({ FLORA_OPERATOR_TOKEN: "short" }), /at least 16 characters/);
  assert.throws(() => loadConfig({ FLORA_SANDBOX_PROCESSES: "0" }), /FLORA_SANDBOX_PROCESSES/);
  assert.throws(
    () => loadConfig({ FLORA_SANDBOX_TRANSPORT: "tcp" }),
    /FLORA_SANDBOX_TRANSPORT must be "unix" or "stdio" \(got "tcp"\)/,
  );
  assert.equal(loadConfig({ FLORA_SANDBOX_TRANSPORT: "stdio" }).sandboxTransport, "stdio");
  assert.equal(loadConfig({}).sandboxMemoryReducer, false);
  assert.equal(loadConfig({}).sandboxSemiSpaceMb, undefined);
  assert.equal(loadConfig({ FLORA_SANDBOX_SEMI_SPACE_MB: "2" }).sandboxSemiSpaceMb, 2);
  assert.throws(
    () => loadConfig({ FLORA_SANDBOX_SEMI_SPACE_MB: "0" }),
    /FLORA_SANDBOX_SEMI_SPACE_MB must be a whole number from 1 to 64/,
  );
  assert.equal(loadConfig({ FLORA_SANDBOX_MEMORY_REDUCER: "1" }).sandboxMemoryReducer, true);
  assert.equal(loadConfig({}).sandboxV8Flags, undefined);
  assert.deepEqual(
    loadConfig({ FLORA_SANDBOX_V8_FLAGS: " --short-builtin-calls, --stack-size=900 --max-lazy" })
      .sandboxV8Flags,
    ["--short-builtin-calls", "--stack-size=900", "--max-lazy"],
  );
  assert.throws(
    () => loadConfig({ FLORA_SANDBOX_V8_FLAGS: "--no-disallow-code-generation-from-strings" }),
    /FLORA_SANDBOX_V8_FLAGS: "--no-disallow-code-generation-from-strings" is not a flag an operator may set/,
  );
  assert.throws(
    () => loadConfig({ FLORA_SANDBOX_V8_FLAGS: "--allow-natives-syntax" }),
    /is not a flag an operator may set/,
  );
  // An allowlist: a flag nobody reviewed is refused too, harmless-looking or not.
  assert.throws(
    () => loadConfig({ FLORA_SANDBOX_V8_FLAGS: "--max-lazy,--js-staging" }),
    /"--js-staging" is not a flag an operator may set: .*short-builtin-calls/,
  );
  assert.throws(
    () => loadConfig({ FLORA_SANDBOX_V8_FLAGS: "--max-old-space-size=99999" }),
    /is not a flag an operator may set/,
  );
  assert.deepEqual(
    loadConfig({ FLORA_SANDBOX_V8_FLAGS: "--no-maglev --max_semi_space_size=2" }).sandboxV8Flags,
    ["--no-maglev", "--max_semi_space_size=2"],
  );
  assert.throws(() => loadConfig({ FLORA_SANDBOX_V8_FLAGS: "max-lazy" }), /is not a V8 flag/);
  assert.throws(
    () => loadConfig({ FLORA_SANDBOX_MEMORY_REDUCER: "yes" }),
    /FLORA_SANDBOX_MEMORY_REDUCER must be a whole number from 0 to 1/,
  );
});

Deno.test("loadConfig reads the isolation settings: suspects apart, dedicated guilds", () => {
  const defaults = loadConfig({});
  assert.equal(defaults.sandboxMaxIsolated, 4);
  assert.equal(defaults.sandboxIsolationMs, 600_000);
  assert.deepEqual(defaults.dedicatedGuilds, []);
  const set = loadConfig({
    FLORA_SANDBOX_MAX_ISOLATED: "0",
    FLORA_SANDBOX_ISOLATION_MS: "60000",
    FLORA_DEDICATED_GUILDS: " 81384788765712384,41771983423143937 ,81384788765712384",
  });
  assert.equal(set.sandboxMaxIsolated, 0);
  assert.equal(set.sandboxIsolationMs, 60_000);
  assert.deepEqual(set.dedicatedGuilds, ["81384788765712384", "41771983423143937"]);
  assert.throws(
    () => loadConfig({ FLORA_DEDICATED_GUILDS: "081384788765712384" }),
    /FLORA_DEDICATED_GUILDS must be comma-separated guild ids .*"081384788765712384" is not one/,
  );
  assert.throws(() => loadConfig({ FLORA_DEDICATED_GUILDS: "1,2" }), /"1" is not one/);
});

Deno.test("loadConfig reads the restart back-off and the storage budget", () => {
  const defaults = loadConfig({});
  assert.deepEqual(
    [defaults.restartFreeStops, defaults.restartBackoffMs, defaults.restartBackoffMaxMs],
    [2, 1_000, 30_000],
  );
  assert.equal(defaults.guildStoragePerSecond, 500);
  const set = loadConfig({
    FLORA_RESTART_FREE_STOPS: "0",
    FLORA_RESTART_BACKOFF_MS: "0",
    FLORA_RESTART_BACKOFF_MAX_MS: "5000",
    FLORA_GUILD_STORAGE_PER_SECOND: "50",
  });
  assert.deepEqual(
    [set.restartFreeStops, set.restartBackoffMs, set.restartBackoffMaxMs],
    [0, 0, 5_000],
  );
  assert.equal(set.guildStoragePerSecond, 50);
  assert.throws(
    () => loadConfig({ FLORA_GUILD_STORAGE_PER_SECOND: "0" }),
    /FLORA_GUILD_STORAGE_PER_SECOND must be a whole number from 1/,
  );
});

Deno.test("loadConfig reads the outbound fetch settings; private addresses stay closed by default", () => {
  const defaults = loadConfig({});
  assert.equal(defaults.fetchAllowPrivate?.allows("127.0.0.1"), false);
  assert.equal(defaults.fetchTimeoutMs, 8_000);
  const config = loadConfig({
    FLORA_FETCH_ALLOW_PRIVATE: "127.0.0.1/32,::1",
    FLORA_FETCH_TIMEOUT_MS: "500",
    FLORA_FETCH_MAX_RESPONSE_BYTES: "4096",
  });
  assert.equal(config.fetchAllowPrivate?.allows("127.0.0.1"), true);
  assert.equal(config.fetchAllowPrivate?.allows("::1"), true);
  assert.equal(config.fetchAllowPrivate?.allows("10.0.0.1"), false);
  assert.equal(config.fetchMaxResponseBytes, 4096);
  assert.throws(
    () => loadConfig({ FLORA_FETCH_ALLOW_PRIVATE: "127.0.0.1/40" }),
    /FLORA_FETCH_ALLOW_PRIVATE must be comma-separated IP addresses or CIDR ranges/,
  );
  assert.throws(() => loadConfig({ FLORA_FETCH_TIMEOUT_MS: "0" }), /FLORA_FETCH_TIMEOUT_MS/);
});

const KEY = btoa(String.fromCharCode(...new Uint8Array(32)));
const CLUSTER = {
  DISCORD_TOKEN: "MTIz.abc.def",
  NATS_URL: "nats://127.0.0.1:4222",
  DATABASE_URL: "postgres://db/flora",
  FLORA_SECRETS_KEY: KEY,
  FLORA_GUILD_KV: "postgres",
};

Deno.test("loadConfig: one process plays every role and needs no NATS by default", () => {
  const config = loadConfig({});
  assert.deepEqual([...config.roles], ["gateway", "runtime", "api"]);
  assert.equal(config.natsUrl, undefined);
  assert.equal(config.discordApiUrl, undefined);
});

Deno.test("loadConfig reads FLORA_ROLE, NATS_URL and DISCORD_API_URL for a cluster node", () => {
  const config = loadConfig({
    ...CLUSTER,
    FLORA_ROLE: "gateway,runtime",
    NATS_URL: "nats://a:4222, tls://b:4222",
    DISCORD_API_URL: "http://127.0.0.1:8787/api/v10/",
  });
  assert.deepEqual([...config.roles], ["gateway", "runtime"]);
  assert.deepEqual(config.natsUrl, ["nats://a:4222", "tls://b:4222"]);
  assert.equal(config.discordApiUrl, "http://127.0.0.1:8787/api");
  assert.equal(config.busPrefix, "flora");
  assert.equal(config.partitions, 64);
  assert.match(config.nodeId, /^[-_.A-Za-z0-9]+-\d+-[0-9a-f]{6}$/, "host-pid-random");
  const named = loadConfig({
    ...CLUSTER,
    FLORA_ROLE: "gateway",
    FLORA_BUS_PREFIX: "staging",
    FLORA_PARTITIONS: "16",
    FLORA_NODE_ID: "gw-1",
  });
  assert.deepEqual([named.busPrefix, named.partitions, named.nodeId], ["staging", 16, "gw-1"]);
  assert.throws(() => loadConfig({ FLORA_BUS_PREFIX: "a.b" }), /FLORA_BUS_PREFIX must be 1–32/);
  assert.throws(() => loadConfig({ FLORA_NODE_ID: "a b" }), /FLORA_NODE_ID must be 1–64/);
  assert.throws(() => loadConfig({ FLORA_PARTITIONS: "0" }), /FLORA_PARTITIONS must be a whole/);
  // The api role alone registers commands with Discord and serves guilds' KV: both needed.
  const api = loadConfig({ ...CLUSTER, FLORA_ROLE: "api" });
  assert.deepEqual([...api.roles], ["api"]);
  assert.throws(
    () => loadConfig({ ...CLUSTER, DISCORD_TOKEN: "", FLORA_GUILD_KV: "", FLORA_ROLE: "api" }),
    (e: Error) =>
      e.message.includes("FLORA_ROLE=api needs DISCORD_TOKEN") &&
      e.message.includes("FLORA_ROLE=api runs or serves guilds"),
  );
});

Deno.test("loadConfig says what a cluster role lacks, all at once", () => {
  assert.throws(
    () => loadConfig({ FLORA_ROLE: "runtime" }),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message.includes("FLORA_ROLE=runtime needs NATS_URL") &&
      e.message.includes("FLORA_ROLE=runtime needs DATABASE_URL") &&
      e.message.includes("set FLORA_GUILD_KV=postgres (or FLORA_KV_URL)") &&
      e.message.includes("FLORA_ROLE=runtime needs DISCORD_TOKEN"),
  );
  assert.throws(() => loadConfig({ FLORA_ROLE: "gatway" }), /unknown role "gatway"/);
  assert.throws(
    () => loadConfig({ ...CLUSTER, FLORA_ROLE: "api", NATS_URL: "http://x:4222" }),
    /NATS_URL must list nats:\/\/, tls:\/\/, ws:\/\/ or wss:\/\/ URLs/,
  );
  assert.throws(
    () => loadConfig({ DISCORD_API_URL: "http://127.0.0.1:8787/api" }),
    /DISCORD_API_URL needs DISCORD_TOKEN/,
  );
  assert.throws(
    () => loadConfig({ DISCORD_TOKEN: "a.b.c", DISCORD_API_URL: "ftp://x/api" }),
    /DISCORD_API_URL must start with http:\/\/ or https:\/\//,
  );
});

Deno.test("loadConfig reads the batch hold's bound: 1 s by default, 0 turns it off", () => {
  assert.equal(loadConfig({}).batchHoldMs, 1_000);
  assert.equal(loadConfig({ FLORA_BATCH_HOLD_MS: "0" }).batchHoldMs, 0);
  assert.equal(loadConfig({ FLORA_BATCH_HOLD_MS: "2000" }).batchHoldMs, 2_000);
  assert.throws(
    () => loadConfig({ FLORA_BATCH_HOLD_MS: "-1" }),
    /FLORA_BATCH_HOLD_MS must be a whole number from 0 to 60000/,
  );
});

Deno.test("loadConfig reads the shard spawn delay: Discordeno's 5.3 s by default, 0 allowed", () => {
  assert.equal(loadConfig({}).shardSpawnDelayMs, 5_300);
  assert.equal(loadConfig({ FLORA_SHARD_SPAWN_DELAY_MS: "0" }).shardSpawnDelayMs, 0);
  assert.throws(
    () => loadConfig({ FLORA_SHARD_SPAWN_DELAY_MS: "-5" }),
    /FLORA_SHARD_SPAWN_DELAY_MS must be a whole number from 0 to 60000/,
  );
});

Deno.test({
  name: "loadConfig reads FLORA_SANDBOX_CPUS and refuses a list this machine cannot honour",
  ignore: Deno.build.os !== "linux",
  fn() {
    const last = allowedCpus()!.at(-1)!;
    const placed = loadConfig({ FLORA_SANDBOX_CPUS: String(last) }).sandboxCpus!;
    assert.deepEqual(placed.sandboxes, [last]);
    assert.ok(!placed.host.includes(last));
    assert.equal(loadConfig({}).sandboxCpus, undefined);
    assert.throws(
      () => loadConfig({ FLORA_SANDBOX_CPUS: "cpu1" }),
      (e: Error) =>
        e instanceof ConfigError && /^FLORA_SANDBOX_CPUS: "cpu1" is not a CPU list/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ FLORA_SANDBOX_CPUS: `${last + 1}` }),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.includes(`names CPU ${last + 1}, which flora may not use here`),
    );
  },
});
