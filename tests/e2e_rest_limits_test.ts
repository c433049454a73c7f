/**
 * Discord's REST limits across nodes: two processes with one bot token, each
 * running flora's REST client, hammer one standalone emulator (its rate limits
 * on) at the same moment. Behind the limits shared in Redis, the emulator
 * answers (almost) no 429; without them, the same load gets many. Both counts
 * are printed. The one-route run shares the channel's bucket in Redis (the
 * path a bucket without a guild's major parameter takes; in a cluster a
 * channel's bucket is one node's at a time); the global run goes as a runtime
 * node does, its turns leased a few at a time.
 */

import assert from "node:assert/strict";
import { EmulatorClient } from "../emulator/mod.ts";
import { connectRedis, deleteKeysWithPrefix } from "../storage/redis/connect.ts";
import { redisGate, TEST_REDIS_URL, uniqueName } from "../storage/testing/servers.ts";
import { type EmulatorProcess, startEmulatorProcess } from "./helpers/emulator_process.ts";

const gate = await redisGate();
const HAMMER = new URL("./helpers/rest_hammer.ts", import.meta.url);

interface HammerResult {
  sent: number;
  failed: number;
  ms: number;
  waitedMs: number;
  redisErrors: number;
}

/** Two hammer processes sending `count` requests each over `routes`, starting together. */
async function hammerTogether(
  emulator: EmulatorProcess,
  routes: string[],
  count: number,
  shared: { prefix: string; buckets: boolean } | null,
): Promise<HammerResult[]> {
  const startAt = Date.now() + 1_500; // both processes loaded by then
  return await Promise.all(["node-a", "node-b"].map(async (node) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", HAMMER.href],
      env: {
        NO_COLOR: "1",
        DISCORD_TOKEN: emulator.token,
        DISCORD_API_URL: emulator.restBase,
        HAMMER_ROUTES: routes.join(","),
        HAMMER_COUNT: String(count),
        HAMMER_START_AT: String(startAt),
        HAMMER_NODE: node,
        ...(shared ? { REDIS_URL: TEST_REDIS_URL, HAMMER_PREFIX: shared.prefix } : {}),
        ...(shared?.buckets ? { HAMMER_SHARED_BUCKETS: "1" } : {}),
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    return JSON.parse(text.trim().split("\n").at(-1)!) as HammerResult;
  }));
}

/** 429s the emulator answered after action `since`. */
async function rateLimited(client: EmulatorClient, since: number): Promise<number> {
  return (await client.actions({ since })).filter((a) => a.status === 429).length;
}

Deno.test({
  name:
    `REST limits shared in Redis: two nodes hammering one emulator get (almost) no 429${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const emulator = await startEmulatorProcess(["--heartbeat=30000"]);
    const client = new EmulatorClient(emulator.controlUrl);
    const redis = await connectRedis(TEST_REDIS_URL);
    const prefix = `${uniqueName("flora_rest")}:`;
    try {
      // One route's bucket: 5 messages a second into one channel (Discord: 5 per 5 s).
      await client.setRateLimits({
        enabled: true,
        routes: { "POST /channels/:id/messages": { limit: 5, windowMs: 1_000 } },
      });
      const channel = emulator.guilds[0].general;
      const oneRoute = [`POST /channels/${channel}/messages`];
      // The global limit (50/s): reads of 20 channels, each its own bucket.
      const channels = await Promise.all(
        Array.from(
          { length: 20 },
          (_, i) => client.createChannel({ guildId: emulator.guilds[0].id, name: `read-${i}` }),
        ),
      );
      const manyRoutes = channels.map((c) => `GET /channels/${c.id}`);
      const report: Record<string, { requests: number; "429s": number; seconds: number }> = {};
      const run = async (name: string, routes: string[], count: number, shared: boolean) => {
        const since = (await client.actions()).at(-1)?.seq ?? 0;
        const results = await hammerTogether(
          emulator,
          routes,
          count,
          shared ? { prefix, buckets: routes.length === 1 } : null,
        );
        for (const r of results) {
          assert.equal(r.failed, 0, `${name}: every request succeeded in the end`);
          assert.equal(r.redisErrors, 0);
        }
        report[name] = {
          requests: 2 * count,
          "429s": await rateLimited(client, since),
          seconds: Math.max(...results.map((r) => r.ms)) / 1000,
        };
        return report[name]["429s"];
      };

      // Each run spans several of its limit's windows (one route: 2 x 12 requests at 5 a second,
      // 5 windows; global: 2 x 90 at 50 a second, 4), so a request counted in one window and
      // arriving in the next has boundaries to cross; twice as many took twice as long (35 s in
      // all) and crossed no other kind of boundary.
      const sharedOneRoute = await run("one route, shared limits", oneRoute, 12, true);
      const sharedGlobal = await run("global, shared limits", manyRoutes, 90, true);
      await new Promise((r) => setTimeout(r, 1_100)); // the emulator's windows reset
      const aloneOneRoute = await run("one route, per-node queues only", oneRoute, 12, false);
      await new Promise((r) => setTimeout(r, 1_100));
      const aloneGlobal = await run("global, per-node queues only", manyRoutes, 90, false);
      console.log(`emulator 429s (load average ${Deno.loadavg()[0].toFixed(1)}):`);
      console.table(report);

      // A bucket's window, a bounded number: its turns are counted in Redis when taken, and a
      // request taken in one window may reach the emulator in the next.
      assert.ok(sharedOneRoute <= 2, `one route shared: ${sharedOneRoute} 429s`);
      // The global limit, none: each request counts from its turn until a window after its
      // answer, which covers its arrival however late (before: 12-18 429s at load 12-16).
      assert.equal(sharedGlobal, 0, `global shared: ${sharedGlobal} 429s`);
      // The same load without them is what the shared limits prevent.
      assert.ok(aloneOneRoute + aloneGlobal > sharedOneRoute + sharedGlobal);
    } finally {
      await deleteKeysWithPrefix(redis, prefix);
      await redis.close();
      await emulator.stop();
    }
  },
});
