import assert from "node:assert/strict";
import { Kvm } from "@nats-io/kv";
import { natsGate, TEST_NATS_URL } from "../../storage/testing/servers.ts";
import { until } from "../../tests/helpers/cluster.ts";
import { LeaseKeeper } from "./lease_keeper.ts";
import { LeaseTable } from "./leases.ts";
import { partitionLease, PartitionOwnership } from "./partitions.ts";
import { natsTest, withBucket, withNats } from "./testing.ts";

const gate = await natsGate();
const nats = natsTest(gate);

/** Keeps this thread's event loop from running anything for `ms` (a starved node). */
function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) { /* busy */ }
}

/** A TCP relay to the test NATS server that can be cut off and restored (a network partition). */
class CuttableRelay {
  readonly url: string;
  readonly #port: number;
  readonly #conns = new Set<Deno.Conn>();
  #listener: Deno.TcpListener;

  constructor() {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#port = this.#listener.addr.port;
    this.url = `nats://127.0.0.1:${this.#port}`;
    this.#accept(this.#listener);
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    const target = new URL(TEST_NATS_URL);
    try {
      for await (const client of listener) {
        const server = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
        for (const conn of [client, server]) this.#conns.add(conn);
        client.readable.pipeTo(server.writable).catch(() => {});
        server.readable.pipeTo(client.writable).catch(() => {});
      }
    } catch { /* closed by cut() */ }
  }

  /** Closes every relayed connection and refuses new ones. */
  cut(): void {
    this.#listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    this.#conns.clear();
  }

  restore(): void {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.#port });
    this.#accept(this.#listener);
  }
}

/** A keeper whose worker dies when asked to take the lease `fail`; its notices go to `notices`. */
function failingKeeper(servers: string, notices: string[]): Promise<LeaseKeeper> {
  return LeaseKeeper.start({
    servers,
    name: "lease-keeper-test",
    workerUrl: new URL("./testdata/failing_lease_worker.ts", import.meta.url),
    onNotice: (_level, message) => notices.push(message),
  });
}

Deno.test({
  ...nats,
  name:
    `LeaseKeeper: a node's leases outlive its main event loop blocked past their TTL; renewed on that loop they lapse${gate.note}`,
  fn: () =>
    withNats((nc) =>
      withBucket(nc, (_, partitionBucket) =>
        withBucket(nc, async (_, memberBucket) => {
          const timing = { holder: "a", ttlMs: 3_000, skewMs: 500, safetyMs: 500 };
          const keeper = await LeaseKeeper.start({
            servers: TEST_NATS_URL,
            name: "lease-keeper-test",
            renewMs: 250,
          });
          try {
            const events: string[] = [];
            const partitions = await keeper.table(partitionBucket, { ...timing, capacity: 2 });
            const owner = new PartitionOwnership({
              count: 2,
              partitions,
              members: await keeper.table(memberBucket, { ...timing, capacity: 1 }),
              hooks: {
                gained: (p) => void events.push(`gained ${p}`),
                draining: (p) => void events.push(`draining ${p}`),
                lost: (p) => void events.push(`lost ${p}`),
                lapsed: (p) => void events.push(`lapsed ${p}`),
              },
            });
            await owner.tick();
            assert.equal(owner.owned().size, 2);

            // The control: a lease of the same timing, renewed by a timer of this thread.
            const kvm = new Kvm(nc);
            const onThisThread = new LeaseTable(await kvm.open(partitionBucket), timing);
            let control = (await onThisThread.acquire("control"))!;
            const renewal = setInterval(async () => {
              control = await onThisThread.renew(control) ?? control;
            }, 250);
            const rival = new LeaseTable(await kvm.open(partitionBucket), {
              ...timing,
              holder: "b",
            });

            const blockedAt = Date.now();
            blockEventLoop(8_000); // 2.7 TTLs
            clearInterval(renewal);

            assert.ok(await rival.acquire("control"), "renewed on the blocked loop: taken");
            for (const [partition, lease] of owner.owned()) {
              assert.ok(partitions.isValid(lease), `partition ${partition}: still held here`);
              assert.ok(
                partitions.current(lease)!.expiresAt > blockedAt + 8_000,
                `partition ${partition}: renewed while this thread was blocked`,
              );
              assert.equal(
                await rival.acquire(partitionLease(partition)),
                null,
                `partition ${partition}: another node cannot take it`,
              );
            }
            await owner.renew();
            assert.deepEqual(
              events.sort(),
              ["gained 0", "gained 1"],
              "nothing lost, nothing lapsed",
            );
            await owner.leave();
          } finally {
            await keeper.close();
          }
        }))
    ),
});

Deno.test({
  ...nats,
  name:
    `LeaseKeeper: a worker cut off from NATS stops renewing, and the main thread stops acting before another node can take the lease${gate.note}`,
  fn: () =>
    withNats((nc) =>
      withBucket(nc, async (kv, bucket) => {
        const timing = { holder: "a", ttlMs: 3_000, skewMs: 300, safetyMs: 300 };
        const relay = new CuttableRelay();
        const keeper = await LeaseKeeper.start({
          servers: relay.url,
          name: "lease-keeper-test",
          renewMs: 250,
        });
        try {
          const table = await keeper.table(bucket, { ...timing, capacity: 1 });
          const lease = (await table.acquire("shard.0"))!;
          const rival = new LeaseTable(kv, { ...timing, holder: "b" });
          const stored = (await rival.read("shard.0"))!;
          assert.ok(table.current(lease)!.expiresAt <= stored.expiresAt, "never past the bucket's");

          relay.cut();
          let lastValid = 0;
          let takenAt = 0;
          await until("another node takes the lease", async () => {
            const before = Date.now();
            if (table.isValid(lease)) lastValid = before;
            if (!await rival.acquire("shard.0")) return false;
            takenAt = Date.now();
            return true;
          }, 30_000);
          assert.equal(table.isValid(lease), false);
          assert.ok(
            lastValid + timing.safetyMs + timing.skewMs <= takenAt,
            `the main thread acted last at ${lastValid}, the lease was taken at ${takenAt}`,
          );

          // Reconnected, the worker finds it taken: the owner's next look says it is lost.
          relay.restore();
          await until(
            "the worker's renewal finds the lease lost",
            async () => await table.renew(lease) === null,
            30_000,
          );
        } finally {
          await keeper.close();
          relay.cut();
        }
      })
    ),
});

Deno.test({
  ...nats,
  name:
    `LeaseKeeper.close stops renewing: its leases stop at once here and lapse for others${gate.note}`,
  fn: () =>
    withNats((nc) =>
      withBucket(nc, async (kv, bucket) => {
        const timing = { holder: "a", ttlMs: 1_500, skewMs: 200, safetyMs: 200 };
        const keeper = await LeaseKeeper.start({
          servers: TEST_NATS_URL,
          name: "lease-keeper-test",
        });
        const table = await keeper.table(bucket, { ...timing, capacity: 1 });
        const lease = (await table.acquire("shard.0"))!;
        assert.ok(table.isValid(lease));
        await keeper.close();
        assert.equal(table.isValid(lease), false, "not acting once its keeper is gone");
        await assert.rejects(table.acquire("shard.0"), /lease keeper is closed/);
        const rival = new LeaseTable(kv, { ...timing, holder: "b" });
        await until(
          "another node takes the lapsed lease",
          async () => await rival.acquire("shard.0") !== null,
          10_000,
        );
      })
    ),
});

Deno.test({
  ...nats,
  name:
    `LeaseKeeper: when its worker dies its leases stop at once, are reported lost, and a new worker takes them again${gate.note}`,
  fn: () =>
    withNats((nc) =>
      withBucket(nc, async (_, bucket) => {
        const timing = { holder: "a", ttlMs: 6_000, skewMs: 500, safetyMs: 500 };
        const notices: string[] = [];
        const keeper = await failingKeeper(TEST_NATS_URL, notices);
        try {
          const table = await keeper.table(bucket, { ...timing, capacity: 2 });
          const lease = (await table.acquire("shard.0"))!;
          assert.ok(table.isValid(lease));
          await assert.rejects(table.acquire("fail"), /worker died/);
          assert.equal(table.isValid(lease), false, "nothing renews it any more");
          assert.equal(await table.renew(lease), null, "its owner is told it is lost");
          assert.ok(notices.some((n) => /its worker died/.test(n)), notices.join("; "));
          const again = await table.acquire("shard.0");
          assert.ok(again && again.token > lease.token, "taken again, as a new tenure");
          assert.ok(table.isValid(again));
          await until(
            "renewed by the new worker",
            () => table.current(again)!.expiresAt > again.expiresAt,
            10_000,
          );
        } finally {
          await keeper.close();
        }
      })
    ),
});

Deno.test({
  ...nats,
  name:
    `LeaseKeeper: a worker replacing a dead one while NATS is unreachable connects once it is back${gate.note}`,
  fn: () =>
    withNats((nc) =>
      withBucket(nc, async (_, bucket) => {
        const timing = { holder: "a", ttlMs: 6_000, skewMs: 500, safetyMs: 500 };
        const relay = new CuttableRelay();
        const notices: string[] = [];
        const keeper = await failingKeeper(relay.url, notices);
        try {
          const table = await keeper.table(bucket, { ...timing, capacity: 2 });
          const lease = (await table.acquire("shard.0"))!;
          relay.cut();
          await assert.rejects(table.acquire("fail"), /worker died/);
          // Its first try failed (said as a retry, or before the fix as the start's error).
          await until(
            "the new worker fails to connect",
            () => notices.some((n) => /^lease keeper: (?!its worker died)/.test(n)),
            10_000,
          );
          const again = table.acquire("shard.0"); // waits for the connection
          relay.restore();
          const taken = await again;
          assert.ok(taken && taken.token > lease.token, "taken again through the new worker");
          assert.ok(table.isValid(taken));
          assert.ok(notices.some((n) => /connected to NATS again/.test(n)), notices.join("; "));
        } finally {
          await keeper.close();
          relay.cut();
        }
      })
    ),
});
