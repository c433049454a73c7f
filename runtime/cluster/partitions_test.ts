import assert from "node:assert/strict";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { natsGate } from "../../storage/testing/servers.ts";
import { LeaseTable } from "./leases.ts";
import { partitionLease, partitionOf, PartitionOwnership } from "./partitions.ts";
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
    withNats((nc) =>
      withBucket(nc, (_, partitions) =>
        withBucket(nc, async (_, members) => {
          const clock = new ManualClock();
          const buckets: [string, string] = [partitions, members];
          const [a, b, c] = [
            await node(nc, buckets, "a", clock),
            await node(nc, buckets, "b", clock),
            await node(nc, buckets, "c", clock),
          ];
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
          const d = await node(nc, buckets, "d", clock);
          await settle([a, b, c, d], 4);
          assert.ok(owners([a, b, c, d]).every((o) => o.length === 1), "each owned exactly once");
          for (const n of [a, b, c, d]) assert.equal(n.owner.owned().size, 4, n.name);
          const handed = a.events.filter((e) => e.startsWith("draining"));
          assert.ok(handed.length >= 4, "a drained what it handed over");

          await Promise.all([a, b, c, d].map((n) => n.owner.leave()));
          assert.deepEqual(owners([a, b, c, d]).flat(), []);
        }))
    ),
});

Deno.test({
  ...nats,
  name:
    `PartitionOwnership keeps renewing its leases while a hand-over drains past their TTL${gate.note}`,
  fn: () =>
    withNats((nc) =>
      withBucket(nc, (_, partitionBucket) =>
        withBucket(nc, async (_, memberBucket) => {
          const kvm = new Kvm(nc);
          const opts = (holder: string) => ({ holder, ttlMs: 1_500, skewMs: 100, safetyMs: 100 });
          const table = new LeaseTable(await kvm.open(partitionBucket), opts("a"));
          let finish = () => {};
          const draining = new Promise<void>((resolve) => finish = resolve);
          const a = new PartitionOwnership({
            count: 4,
            partitions: table,
            members: new LeaseTable(await kvm.open(memberBucket), opts("a")),
            hooks: { gained: () => {}, draining: () => draining, lost: () => {} },
          });
          await a.tick();
          assert.equal(a.owned().size, 4);
          const leaving = a.leave();
          // Three TTLs of draining: a's leases stay valid and nobody else can take them.
          const other = new LeaseTable(await kvm.open(partitionBucket), opts("b"));
          for (let waited = 0; waited < 4_500; waited += 300) {
            await new Promise((r) => setTimeout(r, 300));
            for (const lease of a.owned().values()) assert.ok(table.isValid(lease), "a's lease");
            assert.equal(await other.acquire(partitionLease(waited % 4)), null);
          }
          finish();
          await leaving;
          assert.equal(a.owned().size, 0);
          assert.ok(await other.acquire(partitionLease(0)), "released once drained");
        }))
    ),
});
