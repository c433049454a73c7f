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
});
