import assert from "node:assert/strict";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { natsGate } from "../../storage/testing/servers.ts";
import { LeaseTable } from "./leases.ts";
import {
  type PartitionHooks,
  partitionLease,
  partitionOf,
  PartitionOwnership,
} from "./partitions.ts";
import { ManualClock, natsTest, withBucket, withNats } from "./testing.ts";

const gate = await natsGate();
const nats = natsTest(gate);

Deno.test("partitionOf is a stable FNV-1a hash of the guild id", () => {
  // FNV-1a 32 of "" is its offset basis, 0x811c9dc5 = 2166136261; of "a" 0xe40c292c.
  assert.equal(partitionOf("", 2166136262), 2166136261);
  assert.equal(partitionOf("a", 0xffffffff), 0xe40c292c % 0xffffffff);
  assert.equal(partitionOf("81384788765712384", 64), partitionOf("81384788765712384", 64));
  assert.throws(() => partitionOf("1", 0), /positive integer/);
});

Deno.test("partitionOf spreads snowflake guild ids evenly over the partitions", () => {
  const counts = new Array(64).fill(0);
  let id = 81384788765712384n;
  for (let i = 0; i < 12_800; i++) {
    id += 4_194_304n * BigInt(1 + (i % 7)); // ids created over time, as Discord's are
    counts[partitionOf(String(id), 64)]++;
  }
  // 200 per partition on average; FNV-1a keeps every partition within ±30 %.
  assert.ok(Math.min(...counts) > 140 && Math.max(...counts) < 260, String(counts));
});

interface Node {
  name: string;
  owner: PartitionOwnership;
  events: string[];
}

async function node(
  nc: NatsConnection,
  buckets: [string, string],
  name: string,
  clock: ManualClock,
) {
  const kvm = new Kvm(nc);
  const opts = { holder: name, ttlMs: 6_000, skewMs: 1_000, safetyMs: 1_000, now: clock.now };
  const events: string[] = [];
  const owner = new PartitionOwnership({
    count: 16,
    partitions: new LeaseTable(await kvm.open(buckets[0]), opts),
    members: new LeaseTable(await kvm.open(buckets[1]), opts),
    hooks: {
      gained: (p) => void events.push(`gained ${p}`),
      draining: (p) => void events.push(`draining ${p}`),
      lost: (p) => void events.push(`lost ${p}`),
    },
  });
  return { name, owner, events } satisfies Node;
}

/** Runs `fn` with a maker of nodes on fresh buckets and one clock the test moves. */
function withNodes(
  fn: (node: (name: string) => Promise<Node>, clock: ManualClock) => Promise<void>,
): Promise<void> {
  return withNats((nc) =>
    withBucket(nc, (_, partitions) =>
      withBucket(nc, (_, members) => {
        const clock = new ManualClock();
        return fn((name) => node(nc, [partitions, members], name, clock), clock);
      }))
  );
}

/** Ticks every node `rounds` times, in turn. */
async function settle(nodes: Node[], rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) for (const n of nodes) await n.owner.tick();
}

/** Each partition's owners across `nodes`. */
function owners(nodes: Node[]): string[][] {
  const result: string[][] = Array.from({ length: 16 }, () => []);
  for (const n of nodes) for (const p of n.owner.owned().keys()) result[p].push(n.name);
  return result;
}

Deno.test({
  ...nats,
  name:
    `PartitionOwnership: nodes share partitions evenly, take a dead node's, rebalance on join${gate.note}`,
  fn: () =>
    withNodes(async (node, clock) => {
      const [a, b, c] = [await node("a"), await node("b"), await node("c")];
      await settle([a, b, c]);
      assert.ok(owners([a, b, c]).every((o) => o.length === 1), "each owned exactly once");
      for (const n of [a, b, c]) assert.ok(n.owner.owned().size <= 6, `${n.name} ≤ ceil(16/3)`);

      // c dies (stops renewing); after its leases expire (6 s + 1 s skew) a and b take all.
      const orphaned = [...c.owner.owned().keys()];
      for (let t = 0; t < 4; t++) {
        clock.advance(2_000);
        await settle([a, b], 1);
      }
      assert.ok(owners([a, b]).every((o) => o.length === 1), "c's partitions moved");
      assert.equal(a.owner.owned().size, 8);
      assert.equal(b.owner.owned().size, 8);

      // c wakes up (a paused process): its renewals fail, so it is told it lost them.
      await c.owner.tick();
      for (const p of orphaned) assert.ok(c.events.includes(`lost ${p}`), `c lost ${p}`);

      // d joins: a and b drain and hand over their surplus; nobody holds a partition twice.
      const d = await node("d");
      await settle([a, b, c, d], 4);
      assert.ok(owners([a, b, c, d]).every((o) => o.length === 1), "each owned exactly once");
      for (const n of [a, b, c, d]) assert.equal(n.owner.owned().size, 4, n.name);
      const handed = a.events.filter((e) => e.startsWith("draining"));
      assert.ok(handed.length >= 4, "a drained what it handed over");

      await Promise.all([a, b, c, d].map((n) => n.owner.leave()));
      assert.deepEqual(owners([a, b, c, d]).flat(), []);
    }),
});

/** Node "a" with 1.5 s leases over `count` partitions, and a table of node "b" to race it. */
function withShortLeases(
  count: number,
  hooks: PartitionHooks,
  fn: (a: PartitionOwnership, table: LeaseTable, rival: LeaseTable) => Promise<void>,
): Promise<void> {
  return withNats((nc) =>
    withBucket(nc, (_, partitionBucket) =>
      withBucket(nc, async (_, memberBucket) => {
        const kvm = new Kvm(nc);
        const opts = (holder: string) => ({ holder, ttlMs: 1_500, skewMs: 100, safetyMs: 100 });
        const table = new LeaseTable(await kvm.open(partitionBucket), opts("a"));
        const a = new PartitionOwnership({
          count,
          partitions: table,
          members: new LeaseTable(await kvm.open(memberBucket), opts("a")),
          hooks,
        });
        await fn(a, table, new LeaseTable(await kvm.open(partitionBucket), opts("b")));
      }))
  );
}

Deno.test({
  ...nats,
  name:
    `PartitionOwnership.nextTakeAt is when a dead node's partitions may be taken: its last expiry plus the skew${gate.note}`,
  fn: () =>
    withNodes(async (node, clock) => {
      const [a, b] = [await node("a"), await node("b")];
      await settle([a, b]);
      assert.equal(a.owner.nextTakeAt(), null, "waits for nobody while b lives");
      const lastExpiry = clock.now() + 6_000; // b's last renewal

      // b dies. Past its expiry a sees it gone, but may take its partitions only 1 s later.
      clock.advance(6_500);
      await a.owner.tick();
      assert.equal(a.owner.owned().size, 8, "b's partitions not taken within the skew");
      assert.equal(a.owner.nextTakeAt(), lastExpiry + 1_000);

      clock.advance(lastExpiry + 1_000 - clock.now());
      await a.owner.rebalance();
      assert.equal(a.owner.owned().size, 16, "all taken at nextTakeAt");
      assert.equal(a.owner.nextTakeAt(), null);
      await a.owner.leave();
    }),
});

/** Runs `check` every 300 ms for three of those TTLs (4.5 s). */
async function forThreeTtls(check: (round: number) => Promise<void>): Promise<void> {
  for (let round = 0; round < 15; round++) {
    await new Promise((r) => setTimeout(r, 300));
    await check(round);
  }
}

Deno.test({
  ...nats,
  name:
    `PartitionOwnership keeps renewing its leases while a hand-over drains past their TTL${gate.note}`,
  fn: () => {
    const draining = Promise.withResolvers<void>();
    const hooks = { gained: () => {}, draining: () => draining.promise, lost: () => {} };
    return withShortLeases(4, hooks, async (a, table, rival) => {
      await a.tick();
      assert.equal(a.owned().size, 4);
      const leaving = a.leave();
      // Three TTLs of draining: a's leases stay valid and nobody else can take them.
      await forThreeTtls(async (round) => {
        for (const lease of a.owned().values()) assert.ok(table.isValid(lease), "a's lease");
        assert.equal(await rival.acquire(partitionLease(round % 4)), null);
      });
      draining.resolve();
      await leaving;
      assert.equal(a.owned().size, 0);
      assert.ok(await rival.acquire(partitionLease(0)), "released once drained");
    });
  },
});

Deno.test({
  ...nats,
  name: `PartitionOwnership renews its leases while a rebalance waits on a slow hook${gate.note}`,
  fn: () => {
    // A starved node's rebalance (listing leases, starting a consumer) can take longer than a
    // lease lasts; renewal on its own timer must not wait for it.
    const starting = Promise.withResolvers<void>();
    const hooks = { gained: () => starting.promise, draining: () => {}, lost: () => {} };
    return withShortLeases(2, hooks, async (a, table, rival) => {
      const rebalancing = a.rebalance(); // takes both partitions, then waits in their `gained`
      const renewal = setInterval(() => a.renew().catch(() => {}), 300);
      try {
        await forThreeTtls(async () => {
          assert.equal(a.owned().size, 2, "both partitions taken, their hooks still running");
          for (const [p, lease] of a.owned()) {
            assert.ok(table.isValid(lease), "renewed");
            assert.equal(await rival.acquire(partitionLease(p)), null);
          }
        });
        starting.resolve();
        await rebalancing;
        assert.equal(a.owned().size, 2);
      } finally {
        clearInterval(renewal);
        starting.resolve();
        await a.leave();
      }
    });
  },
});

Deno.test({
  ...nats,
  name:
    `PartitionOwnership: a renewal after the lease lapsed keeps it and says so; a lease taken meanwhile is lost${gate.note}`,
  fn: () =>
    withNats((nc) =>
      withBucket(nc, (_, partitions) =>
        withBucket(nc, async (_, members) => {
          const clock = new ManualClock();
          const kvm = new Kvm(nc);
          const opts = { ttlMs: 6_000, skewMs: 1_000, safetyMs: 1_000, now: clock.now };
          const events: string[] = [];
          const a = new PartitionOwnership({
            count: 4,
            partitions: new LeaseTable(await kvm.open(partitions), { ...opts, holder: "a" }),
            members: new LeaseTable(await kvm.open(members), { ...opts, holder: "a" }),
            hooks: {
              gained: (p) => void events.push(`gained ${p}`),
              draining: (p) => void events.push(`draining ${p}`),
              lost: (p) => void events.push(`lost ${p}`),
              lapsed: (p) => void events.push(`lapsed ${p}`),
            },
          });
          await a.tick();
          const tokens = new Map([...a.owned()].map(([p, lease]) => [p, lease.token]));
          assert.equal(tokens.size, 4);

          // Starved for 8 s: past every lease's expiry, and nobody took them.
          clock.advance(8_000);
          await a.tick();
          assert.deepEqual(events.filter((e) => e.startsWith("lapsed")).sort(), [
            "lapsed 0",
            "lapsed 1",
            "lapsed 2",
            "lapsed 3",
          ]);
          assert.ok(!events.some((e) => e.startsWith("lost")), events.join(", "));
          for (const [p, lease] of a.owned()) {
            assert.equal(lease.token, tokens.get(p), "same tenure");
          }

          // Starved again, and another node took partition 2 meanwhile: that one is lost.
          clock.advance(8_000);
          const b = new LeaseTable(await kvm.open(partitions), { ...opts, holder: "b" });
          assert.ok(await b.acquire(partitionLease(2)));
          events.length = 0;
          await a.renew();
          await a.rebalance();
          assert.ok(events.includes("lost 2"), events.join(", "));
          assert.ok(!a.owned().has(2));
          assert.deepEqual(events.filter((e) => e.startsWith("lapsed")).length, 3);
          await a.leave();
        }))
    ),
});
