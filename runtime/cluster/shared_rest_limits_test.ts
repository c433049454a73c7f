import assert from "node:assert/strict";
import { connectRedis, deleteKeysWithPrefix } from "../../storage/redis/connect.ts";
import { redisGate, TEST_REDIS_URL, uniqueName } from "../../storage/testing/servers.ts";
import { IN_FLIGHT_RETRY_MS } from "./global_rest_stock.ts";
import {
  type RestTurn,
  SharedRestLimits,
  type SharedRestLimitsOptions,
} from "./shared_rest_limits.ts";

const gate = await redisGate();

/** Runs `fn` with two nodes' limiters on one Redis prefix, removed afterwards. */
async function withTwoNodes(
  options: Omit<SharedRestLimitsOptions, "nodeId" | "prefix">,
  fn: (a: SharedRestLimits, b: SharedRestLimits, log: () => Promise<LogEntry[]>) => Promise<void>,
): Promise<void> {
  const redis = await connectRedis(TEST_REDIS_URL);
  const prefix = `${uniqueName("flora_rest_test")}:`;
  try {
    await fn(
      new SharedRestLimits(redis, { ...options, nodeId: "a", prefix }),
      new SharedRestLimits(redis, { ...options, nodeId: "b", prefix }),
      async () => {
        const raw = await redis.zRangeWithScores(`${prefix}rest:global`, 0, -1);
        return raw.map((e) => ({ member: String(e.value), score: e.score }));
      },
    );
  } finally {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.close();
  }
}

interface LogEntry {
  member: string;
  score: number;
}

/** The turn taken (failing if it was a wait). */
function turnOf(answer: RestTurn | number): RestTurn {
  assert.ok(typeof answer !== "number", `waits ${answer} ms`);
  return answer;
}

/** Whether a turn was taken (not a wait). */
const took = (answer: RestTurn | number) => typeof answer !== "number";
/** How long to wait, ms (0 when a turn was taken). */
const waitOf = (answer: RestTurn | number) => typeof answer === "number" ? answer : 0;

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
      // A bucket without a guild's, channel's or webhook's major parameter is shared.
      const route = "/applications/1/x";
      assert.ok(took(await a.tryAcquire("POST", route)), "the probe goes");
      assert.ok(
        waitOf(await b.tryAcquire("POST", route)) > 0,
        "the other node waits for its answer",
      );
      await a.record("POST", route, headers(2, 30)); // 2 left in a 30 s window
      assert.ok(took(await b.tryAcquire("POST", route)));
      assert.ok(took(await a.tryAcquire("POST", route)));
      const wait = waitOf(await b.tryAcquire("POST", route));
      assert.ok(wait > 25_000 && wait <= 30_000, `closed until the reset (${wait} ms)`);
      // A late answer of the same window cannot reopen it.
      await b.record("POST", route, headers(1, 29));
      assert.ok(waitOf(await a.tryAcquire("POST", route)) > 0);
      // Another method of the same path is its own bucket.
      assert.ok(took(await a.tryAcquire("GET", route)));
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
      const first = turnOf(await a.tryAcquire("GET", "/channels/1"));
      const second = turnOf(await b.tryAcquire("GET", "/channels/2"));
      const third = turnOf(await a.tryAcquire("GET", "/channels/3"));
      // All three in flight: they are rescored at their answers, so the fourth asks again soon.
      assert.equal(waitOf(await b.tryAcquire("GET", "/channels/4")), IN_FLIGHT_RETRY_MS);
      a.answered(first);
      b.answered(second);
      a.answered(third);
      await settled(a, b);
      const wait = waitOf(await b.tryAcquire("GET", "/channels/4"));
      assert.ok(wait > 55_000, `the fourth waits for the window after the answers (${wait} ms)`);
      // Interaction callbacks are outside the bot's limits.
      assert.ok(took(await b.tryAcquire("POST", "/interactions/9/token/x")));
    }),
});

Deno.test({
  name: `SharedRestLimits: a global 429's retry-after holds every node${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTwoNodes({}, async (a, b) => {
      assert.ok(took(await a.tryAcquire("GET", "/channels/1")));
      await a.record(
        "GET",
        "/channels/1",
        new Headers({ "x-ratelimit-global": "true", "retry-after": "40" }),
      );
      const wait = waitOf(await b.tryAcquire("GET", "/channels/2"));
      assert.ok(wait > 35_000 && wait <= 40_000, `held for the retry-after (${wait} ms)`);
      // Webhook routes (interaction follow-ups) are outside the global limit.
      assert.ok(took(await b.tryAcquire("POST", "/webhooks/1/token")));
    }),
});

Deno.test("SharedRestLimits refuses bad settings, naming them", () => {
  assert.throws(
    () => new SharedRestLimits({} as never, { nodeId: "a", globalPerSecond: 0 }),
    /globalPerSecond must be a positive integer, got 0/,
  );
});

/** Waits until every node's spent and given-back turns are settled in Redis. */
const settled = async (...nodes: SharedRestLimits[]) => {
  await Promise.all(nodes.map((n) => n.settled()));
};

Deno.test({
  name:
    `SharedRestLimits: guild and channel requests spend global turns leased a few at a time${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTwoNodes({ globalPerSecond: 40, windowMs: 60_000 }, async (a, _b, log) => {
      // One node leasing: 40 / (4 × 1) = 10 turns in one call.
      const turns = [turnOf(await a.tryAcquire("POST", "/channels/1/messages"))];
      assert.equal(a.heldGlobalTurns, 9);
      assert.equal((await log()).length, 10, "the lease is in the log at once");
      // The next three are spent here, without a lease (the log does not grow).
      for (let i = 0; i < 3; i++) {
        turns.push(turnOf(await a.tryAcquire("GET", `/guilds/${i}/roles`)));
      }
      assert.equal(a.heldGlobalTurns, 6);
      // Answered turns are rescored to Redis's clock at their answer; one still in flight and the
      // unspent ones still count ahead (the lease's ε and the in-flight allowance).
      for (const turn of turns.slice(0, 3)) a.answered(turn);
      await settled(a);
      let now = await redisNow();
      let entries = await log();
      assert.equal(entries.length, 10);
      assert.equal(entries.filter((e) => e.score <= now).length, 3, "three answered");
      assert.equal(entries.filter((e) => e.score > now).length, 7, "one in flight, six held");
      // Half spent: a new lease comes in the background and the older turns are given back.
      turns.push(turnOf(await a.tryAcquire("GET", "/guilds/9/roles")));
      for (const turn of turns.slice(3)) a.answered(turn);
      await settled(a);
      assert.equal(a.heldGlobalTurns, 10);
      now = await redisNow();
      entries = await log();
      assert.equal(entries.filter((e) => e.score <= now).length, 5, "five answered");
      assert.equal(entries.filter((e) => e.score > now).length, 10, "ten held");
    }),
});

Deno.test({
  name:
    `SharedRestLimits: leased turns across nodes never exceed the global limit in a window${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTwoNodes({ globalPerSecond: 16, windowMs: 60_000 }, async (a, b, log) => {
      let sent = 0;
      let refusedA = false;
      let refusedB = false;
      // Alternating until both wait: prefetched leases may leave a few turns unspent on a node.
      for (let i = 0; i < 100 && !(refusedA && refusedB); i++) {
        const node = i % 2 === 0 ? a : b;
        const answer = await node.tryAcquire("GET", `/channels/${i}`);
        const wait = waitOf(answer);
        if (wait === 0) {
          sent++;
          node.answered(turnOf(answer));
          await settled(node);
        } else {
          assert.ok(wait > 55_000, `waits for the window (${wait} ms)`);
          if (node === a) refusedA = true;
          else refusedB = true;
        }
      }
      assert.ok(refusedA && refusedB, "both nodes were refused in the end");
      await settled(a, b);
      // A refill gives back the older lease's rest, so a few turns may be free again.
      const held = a.heldGlobalTurns + b.heldGlobalTurns;
      assert.ok(sent + held <= 16 && sent >= 8, `${sent} sent, ${held} held`);
      assert.equal((await log()).length, sent + held, "the log holds what was sent or is held");
    }),
});

Deno.test({
  name:
    `SharedRestLimits: a leased turn not spent in time is given back, not spent late${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    // ε of 1 s: shorter, a busy machine (load 43) let it pass between two of the reads below.
    withTwoNodes(
      { globalPerSecond: 8, windowMs: 60_000, spendWithinMs: 1_000 },
      async (a, b, log) => {
        // Two nodes lease: 8 / (4 × 2) = 1 each, and a refill once half is spent.
        assert.ok(took(await b.tryAcquire("GET", "/channels/9")));
        assert.ok(took(await a.tryAcquire("GET", "/channels/1")));
        await settled(a, b);
        const held = a.heldGlobalTurns + b.heldGlobalTurns;
        assert.ok(held > 0, "a refill waits on a node");
        assert.equal((await log()).length, 2 + held);
        await new Promise((r) => setTimeout(r, 1_100)); // past the 1 s to spend them
        assert.equal(a.heldGlobalTurns + b.heldGlobalTurns, 0);
        await settled(a, b);
        assert.equal((await log()).length, 2, "only the spent turns still count");
      },
    ),
});

Deno.test({
  name:
    `SharedRestLimits: a request counts until a window after its answer, however long in flight${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTwoNodes(
      { globalPerSecond: 2, windowMs: 1_000, spendWithinMs: 100, inFlightMs: 1_500 },
      async (a, b) => {
        // Discord counts a request when it reaches it, anywhere between its turn and its answer:
        // two requests in flight for 4 s (past the lease's ε + in-flight allowance + window,
        // 2.6 s) keep every other node waiting until a window after their answers. (The entries
        // are moved on every 0.75 s: this process may stall up to 1.75 s without a false pass.)
        const turns = [
          turnOf(await a.tryAcquire("GET", "/channels/1")),
          turnOf(await a.tryAcquire("GET", "/channels/2")),
        ];
        for (let waited = 0; waited < 4_000; waited += 500) {
          assert.ok(
            waitOf(await b.tryAcquire("GET", "/channels/3")) > 0,
            `free after ${waited} ms`,
          );
          await new Promise((r) => setTimeout(r, 500));
        }
        for (const turn of turns) a.answered(turn);
        await settled(a);
        assert.ok(
          waitOf(await b.tryAcquire("GET", "/channels/3")) > 0,
          "a window after the answer",
        );
        await new Promise((r) => setTimeout(r, 1_100));
        assert.ok(
          took(await b.tryAcquire("GET", "/channels/3")),
          "free a window after the answers",
        );
        a.close();
        b.close();
      },
    ),
});

Deno.test({
  name: `SharedRestLimits: webhook and interaction requests take no global turn${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTwoNodes({ globalPerSecond: 4 }, async (a, _b, log) => {
      assert.ok(took(await a.tryAcquire("POST", "/webhooks/1/token")));
      assert.ok(took(await a.tryAcquire("POST", "/interactions/9/token/x")));
      assert.equal(a.heldGlobalTurns, 0);
      assert.equal((await log()).length, 0);
    }),
});

/** Redis's clock, ms. */
async function redisNow(): Promise<number> {
  const redis = await connectRedis(TEST_REDIS_URL);
  try {
    const [s, us] = await redis.eval("return redis.call('TIME')", {}) as string[];
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  } finally {
    await redis.close();
  }
}
