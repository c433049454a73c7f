import assert from "node:assert/strict";
import { natsGate, TEST_NATS_URL, uniqueName } from "../../storage/testing/servers.ts";
import { EventPublisher, removeEventBus } from "./event_bus.ts";
import { startPartitionIntake } from "./partition_intake.ts";
import { ManualClock, natsTest, withNats } from "./testing.ts";
import { until } from "../../tests/helpers/cluster.ts";

const gate = await natsGate();
const nats = natsTest(gate);

Deno.test({
  ...nats,
  name:
    `PartitionIntake: events refused while the lease had lapsed run at once after its late renewal${gate.note}`,
  fn: () =>
    withNats(async (nc) => {
      const prefix = uniqueName("t");
      const clock = new ManualClock(Date.now());
      const routed: string[] = [];
      const notices: string[] = [];
      const intake = await startPartitionIntake({
        natsUrl: [TEST_NATS_URL],
        busPrefix: prefix,
        partitions: 1,
        nodeId: "node-a",
        version: "test",
        route: (payload, _shard, settled) => {
          routed.push(String((payload as { s: number }).s));
          settled();
        },
        withdraw: () => 0,
        lease: { ttlMs: 6_000, skewMs: 1_000, safetyMs: 1_000, now: clock.now },
        // Renewed and rebalanced by hand below.
        tickMs: 3_600_000,
        renewMs: 3_600_000,
        onNotice: (_level, message) => notices.push(message),
      });
      try {
        const publisher = new EventPublisher(nc, { prefix, partitions: 1 });
        const publish = (s: number) =>
          publisher.publish({
            id: `session:${s}`,
            guildId: "101",
            payload: { op: 0, t: "MESSAGE_CREATE", s, d: { guild_id: "101" } },
          });
        await publish(1);
        await until("the first event", () => routed.length === 1, 10_000);

        // The node is starved past its lease (nobody takes it): what arrives meanwhile is
        // refused by the fence and left unacked.
        clock.advance(8_000);
        await publish(2);
        await publish(3);
        await until("the fence", () => intake.consumers.get(0)?.stats.fenced === 2, 10_000);
        assert.deepEqual(routed, ["1"]);

        // The late renewal goes through. Left to JetStream, the two would come back after
        // `ack_wait` (60 s), and 256 of them would stop the partition until then.
        await intake.ownership.renew();
        await until("the refused events, again", () => routed.length === 3, 10_000);
        assert.deepEqual(routed, ["1", "2", "3"], "each once, in order");
        assert.ok(notices.some((n) => /renewed after it had lapsed/.test(n)), notices.join("; "));
        await publish(4);
        await until("the next event", () => routed.length === 4, 10_000);
      } finally {
        await intake.close();
        await removeEventBus(nc, prefix);
      }
    }),
});
