import assert from "node:assert/strict";
import { bannerLines, describeStorage } from "./banner.ts";

const EMBEDDED = {
  deployments: "deno-kv",
  guildKv: "deno-kv",
  tokens: "deno-kv",
  sessions: "deno-kv",
  logs: "deno-kv",
} as const;

const PRODUCTION = {
  deployments: "postgres",
  guildKv: "deno-kv",
  tokens: "postgres",
  sessions: "redis",
  logs: "deno-kv",
} as const;

const INPUT = {
  apiUrl: "http://127.0.0.1:8787",
  dataDir: ".data",
  operatorToken: "flora_op_x",
  operatorTokenCreated: false,
  backends: EMBEDDED,
  flora: "npx -y deno@2.9.6 task flora",
  install: "npx -y deno@2.9.6 task install",
  restored: 0,
};

Deno.test("describeStorage names each backend in use and what it holds", () => {
  assert.equal(describeStorage(EMBEDDED, ".data"), ".data/ (embedded Deno KV)");
  assert.equal(
    describeStorage(PRODUCTION, ".data"),
    "PostgreSQL (deployments, tokens) · embedded Deno KV in .data/ (guildKv, logs) · Redis (sessions)",
  );
});

Deno.test("bannerLines is truthful about production storage", () => {
  const text = bannerLines({ ...INPUT, backends: PRODUCTION }).join("\n");
  assert.match(text, /storage: +PostgreSQL \(deployments, tokens\)/);
  assert.doesNotMatch(text, /storage: +\.data\/ \(embedded Deno KV\)/);
});

Deno.test("bannerLines prints the deploy, message and log commands for the emulator's first guild", () => {
  const text = bannerLines({
    ...INPUT,
    emulator: {
      url: "http://127.0.0.1:8788",
      worldFile: ".data/emulator-world.json",
      guilds: [{ id: "111111111111111111", name: "A", general: "222222222222222222" }],
      memberId: "333333333333333333",
    },
  }).join("\n");
  assert.match(
    text,
    /\n {2}npx -y deno@2\.9\.6 task flora deploy --guild 111111111111111111 examples\/ping\.ts\n/,
  );
  assert.match(
    text,
    /\n {2}curl -s http:\/\/127\.0\.0\.1:8788\/_emulator\/messages -H 'content-type: application\/json' -d '\{"guildId":"111111111111111111","channelId":"222222222222222222","userId":"333333333333333333","content":"!ping"\}'\n/,
  );
  assert.match(text, /task flora logs --guild 111111111111111111 -f/);
  assert.match(text, /npx -y deno@2\.9\.6 task install/);
});

Deno.test("bannerLines tells the CLI about a data dir other than .data", () => {
  const text = bannerLines({ ...INPUT, dataDir: "/srv/my flora", flora: "flora" }).join("\n");
  assert.match(text, /FLORA_DATA_DIR='\/srv\/my flora' flora deploy --guild <guild id>/);
});

Deno.test("bannerLines counts restored deployments in words that agree", () => {
  assert.ok(bannerLines({ ...INPUT, restored: 1 }).includes("Restored 1 deployment."));
  assert.ok(bannerLines({ ...INPUT, restored: 3 }).includes("Restored 3 deployments."));
});

Deno.test("bannerLines prints the dashboard's address", () => {
  const text = bannerLines(INPUT).join("\n");
  assert.match(text, /^ {2}dashboard: {2}http:\/\/127\.0\.0\.1:8787\/dashboard$/m);
});

Deno.test("bannerLines names a DISCORD_API_URL rather than claiming Discord", () => {
  const text = bannerLines({ ...INPUT, discordApiUrl: "http://127.0.0.1:9000/api" }).join("\n");
  assert.match(text, /Discord: +the Discord-compatible API at http:\/\/127\.0\.0\.1:9000\/api/);
  assert.doesNotMatch(text, /DISCORD_TOKEN/);
});
