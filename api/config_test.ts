import assert from "node:assert/strict";
import { ApiConfigError, DEFAULT_API_SETTINGS, readApiSettings } from "./config.ts";

Deno.test("API settings: defaults, and every bad value named with what to fix", () => {
  assert.deepEqual(readApiSettings({}), DEFAULT_API_SETTINGS);
  const set = readApiSettings({
    FLORA_CORS_ORIGINS: "https://a.example, http://localhost:5173",
    FLORA_RATE_LIMIT: "10",
    FLORA_PUBLIC_URL: "https://flora.example.com/",
    DISCORD_CLIENT_ID: "100000000000000001",
    DISCORD_CLIENT_SECRET: "s3cret",
  });
  assert.deepEqual(set.corsOrigins, ["https://a.example", "http://localhost:5173"]);
  assert.equal(set.rateLimit.requests, 10);
  assert.equal(set.publicUrl, "https://flora.example.com");
  assert.equal(set.oauth?.authorizeUrl, "https://discord.com/oauth2/authorize");
  const bad: [Record<string, string>, RegExp][] = [
    [{ FLORA_CORS_ORIGINS: "https://a.example/path" }, /without a path/],
    [{ FLORA_CORS_ORIGINS: "nope" }, /not a URL/],
    [{ FLORA_RATE_LIMIT: "0" }, /FLORA_RATE_LIMIT must be a positive whole number/],
    [
      { DISCORD_CLIENT_ID: "100000000000000001" },
      /both DISCORD_CLIENT_ID .* DISCORD_CLIENT_SECRET/,
    ],
    [{ FLORA_PUBLIC_URL: "::" }, /FLORA_PUBLIC_URL must be a URL/],
  ];
  for (const [env, message] of bad) {
    assert.throws(() => readApiSettings(env), (e: Error) => {
      assert.ok(e instanceof ApiConfigError);
      assert.match(e.message, message);
      return true;
    });
  }
});
