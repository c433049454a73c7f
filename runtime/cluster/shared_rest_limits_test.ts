import assert from "node:assert/strict";
import { connectRedis, deleteKeysWithPrefix } from "../../storage/redis/connect.ts";
import { redisGate, TEST_REDIS_URL, uniqueName } from "../../storage/testing/servers.ts";
import { SharedRestLimits } from "./shared_rest_limits.ts";

const gate = await redisGate();

/** Runs `fn` with two nodes' limiters on one Redis prefix, removed afterwards. */
async function withTwoNodes(
  options: { globalPerSecond?: number; windowMs?: number },
  fn: (a: SharedRestLimits, b: SharedRestLimits) => Promise<void>,
): Promise<void> {
  const redis = await connectRedis(TEST_REDIS_URL);
  const prefix = `${uniqueName("flora_rest_test")}:`;
  try {
    await fn(
      new SharedRestLimits(redis, { ...options, nodeId: "a", prefix }),
      new SharedRestLimits(redis, { ...options, nodeId: "b", prefix }),
    );
  } finally {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.close();
  }
}

const headers = (remaining: number, resetAfterS: number) =>
  new Headers({
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-reset-after": String(resetAfterS),
  });

Deno.test({
  name:
    `SharedRestLimits: a bucket's probe goes alone; its answer opens the window for every node${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTwoNodes({}, async (a, b) => {
      const route = "/channels/1/x";
      assert.equal(await a.tryAcquire("POST", route), 0, "the probe goes");
      assert.ok(await b.tryAcquire("POST", route) > 0, "the other node waits for its answer");
      await a.record("POST", route, headers(2, 30)); // 2 left in a 30 s window
      assert.equal(await b.tryAcquire("POST", route), 0);
      assert.equal(await a.tryAcquire("POST", route), 0);
      const wait = await b.tryAcquire("POST", route);
      assert.ok(wait > 25_000 && wait <= 30_000, `closed until the reset (${wait} ms)`);
      // A late answer of the same window cannot reopen it.
      await b.record("POST", route, headers(1, 29));
      assert.ok(await a.tryAcquire("POST", route) > 0);
      // Another method of the same path is its own bucket.
      assert.equal(await a.tryAcquire("GET", route), 0);
    }),
});

Deno.test({
  name: `SharedRestLimits: the global limit counts every node's requests in one window${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTwoNodes({ globalPerSecond: 3, windowMs: 60_000 }, async (a, b) => {
      // Three different buckets (each a probe), two nodes: the fourth request waits.
      assert.equal(await a.tryAcquire("GET", "/channels/1"), 0);
      assert.equal(await b.tryAcquire("GET", "/channels/2"), 0);
      assert.equal(await a.tryAcquire("GET", "/channels/3"), 0);
      const wait = await b.tryAcquire("GET", "/channels/4");
      assert.ok(wait > 55_000, `the fourth waits for the window (${wait} ms)`);
      // Interaction callbacks are outside the bot's limits.
      assert.equal(await b.tryAcquire("POST", "/interactions/9/token/x"), 0);
    }),
});

Deno.test({
  name: `SharedRestLimits: a global 429's retry-after holds every node${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTwoNodes({}, async (a, b) => {
      assert.equal(await a.tryAcquire("GET", "/channels/1"), 0);
      await a.record(
        "GET",
        "/channels/1",
        new Headers({ "x-ratelimit-global": "true", "retry-after": "40" }),
      );
      const wait = await b.tryAcquire("GET", "/channels/2");
      assert.ok(wait > 35_000 && wait <= 40_000, `held for the retry-after (${wait} ms)`);
      // Webhook routes (interaction follow-ups) are outside the global limit.
      assert.equal(await b.tryAcquire("POST", "/webhooks/1/token"), 0);
    }),
});

Deno.test("SharedRestLimits refuses bad settings, naming them", () => {
  assert.throws(
    () => new SharedRestLimits({} as never, { nodeId: "a", globalPerSecond: 0 }),
    /globalPerSecond must be a positive integer, got 0/,
  );
});
