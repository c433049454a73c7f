import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

Deno.test("loadConfig has working defaults with an empty environment", () => {
  const config = loadConfig({});
  assert.equal(config.discordToken, undefined);
  assert.equal(config.dataDir, ".data");
  assert.equal(config.apiPort, 8787);
  assert.equal(config.sandboxProcesses, 2);
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
  assert.equal(loadConfig({ FLORA_SANDBOX_MEMORY_REDUCER: "1" }).sandboxMemoryReducer, true);
  assert.throws(
    () => loadConfig({ FLORA_SANDBOX_MEMORY_REDUCER: "yes" }),
    /FLORA_SANDBOX_MEMORY_REDUCER must be a whole number from 0 to 1/,
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
