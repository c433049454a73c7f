import assert from "node:assert/strict";
import { natsGate } from "../../storage/testing/servers.ts";
import { LeaseTable } from "./leases.ts";
import { clockedLeases, natsTest, withNatsBucket } from "./testing.ts";

const gate = await natsGate();
const nats = natsTest(gate);

Deno.test({
  ...nats,
  name: `LeaseTable: one holder at a time; another takes it only after expiry and skew${gate.note}`,
  fn: () =>
    withNatsBucket(async (kv) => {
      const timing = { ttlMs: 10_000, skewMs: 1_000, safetyMs: 1_000 };
      const { clock, tables: [a, b] } = clockedLeases(kv, timing, "node-a", "node-b");
      const first = await a.acquire("shard.0");
      assert.ok(first, "a takes a free lease");
      assert.equal(await b.acquire("shard.0"), null, "b cannot take a held lease");
      assert.deepEqual(await b.read("shard.0"), {
        holder: "node-a",
        token: first.token,
        expiresAt: first.expiresAt,
      });

      clock.advance(9_500);
      assert.equal(a.isValid(first), false, "a stops acting safetyMs before expiry");
      clock.advance(1_000); // expired, but within b's skew allowance
      assert.equal(await b.acquire("shard.0"), null, "b waits out the clock skew");
      clock.advance(600);
      const second = await b.acquire("shard.0");
      assert.ok(second, "b takes the expired lease");
      assert.ok(second.token > first.token, "the fencing token grows with each tenure");
      assert.equal(await a.renew(first), null, "a's renewal fails: the lease is lost");
    }),
});

Deno.test({
  ...nats,
  name: `LeaseTable: renewal keeps the token and the lease; release frees it at once${gate.note}`,
  fn: () =>
    withNatsBucket(async (kv) => {
      const { clock, tables: [a, b] } = clockedLeases(kv, { ttlMs: 10_000 }, "node-a", "node-b");
      let lease = await a.acquire("partition.7");
      assert.ok(lease);
      const token = lease.token;
      for (let i = 0; i < 5; i++) {
        clock.advance(5_000);
        const renewed = await a.renew(lease);
        assert.ok(renewed, `renewal ${i} succeeds`);
        lease = renewed;
      }
      assert.equal(lease.token, token, "renewals keep the tenure's token");
      assert.equal((await b.read("partition.7"))?.token, token);
      assert.equal(await b.acquire("partition.7"), null, "kept alive: 25 s after the start");
      // A renewal stored with its answer lost leaves the holder one revision behind: the entry
      // is still this tenure's, so the next renewal goes through.
      const behind = await a.renew({ ...lease, revision: lease.revision - 1 });
      assert.ok(behind && behind.token === token, "renewed from one revision behind");
      lease = behind;
      assert.equal(await a.release(lease), true);
      assert.equal(await b.read("partition.7"), null);
      const taken = await b.acquire("partition.7");
      assert.ok(taken && taken.token > token, "b takes a released lease with a larger token");
      assert.equal(await a.release(lease), false, "releasing a lost lease does nothing");
      assert.equal((await b.read("partition.7"))?.holder, "node-b");
    }),
});

Deno.test({
  ...nats,
  name:
    `LeaseTable: a holder whose renewal comes after the expiry keeps the lease when nobody took it${gate.note}`,
  fn: () =>
    withNatsBucket(async (kv) => {
      // A starved node: its renewal lands 3 s after the lease expired. Refused by the clock, a
      // gateway node gave up its only shard and resumed it too late for the replay buffer.
      const timing = { ttlMs: 6_000, skewMs: 1_000, safetyMs: 1_000 };
      const { clock, tables: [a, b] } = clockedLeases(kv, timing, "node-a", "node-b");
      const first = await a.acquire("shard.0");
      assert.ok(first);
      clock.advance(9_000);
      assert.equal(a.isValid(first), false, "a stopped acting meanwhile");
      const renewed = await a.renew(first);
      assert.ok(renewed, "renewed: the compare-and-set shows nobody took it");
      assert.equal(renewed.token, first.token, "the same tenure goes on");
      assert.ok(a.isValid(renewed));
      assert.equal(await b.acquire("shard.0"), null, "b cannot take it now");

      // Had b taken it first, the late renewal fails.
      clock.advance(9_000);
      assert.ok(await b.acquire("shard.0"));
      assert.equal(await a.renew(renewed), null, "lost to b: its entry is not a's tenure");
      assert.equal((await a.read("shard.0"))?.holder, "node-b");
    }),
});

Deno.test({
  ...nats,
  name: `LeaseTable: of many nodes racing for a free lease exactly one wins${gate.note}`,
  fn: () =>
    withNatsBucket(async (kv) => {
      const tables = Array.from({ length: 8 }, (_, i) => new LeaseTable(kv, { holder: `n${i}` }));
      const results = await Promise.all(tables.map((t) => t.acquire("shard.1")));
      assert.equal(results.filter((r) => r !== null).length, 1);
    }),
});

Deno.test("LeaseTable refuses bad names and timings, saying what to change", () => {
  const kv = {} as ConstructorParameters<typeof LeaseTable>[0];
  assert.throws(() => new LeaseTable(kv, { holder: "a b" }), /holder "a b" must match/);
  assert.throws(
    () => new LeaseTable(kv, { holder: "a", ttlMs: 500, safetyMs: 1_000 }),
    /ttlMs \(500\) must exceed safetyMs \(1000\)/,
  );
});
