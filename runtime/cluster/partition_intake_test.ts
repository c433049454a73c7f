import assert from "node:assert/strict";
import { natsGate, uniqueName } from "../../storage/testing/servers.ts";
import { EventPublisher, removeEventBus } from "./event_bus.ts";
import { ManualClock, natsTest, startHandTickedIntake, withNats } from "./testing.ts";
import { until } from "../../tests/helpers/cluster.ts";

const gate = await natsGate();
const nats = natsTest(gate);

Deno.test({
  ...nats,
  name:
    `PartitionIntake.tenure: a cron or task run acts only while the tenure it fired under holds${gate.note}`,
  fn: () =>
    withNats(async (nc) => {
      const prefix = uniqueName("t");
      const clock = new ManualClock(Date.now());
      const intake = await startHandTickedIntake(nc, prefix, clock);
      const tenure = intake.tenure("101");
      try {
        assert.ok(intake.owns("101"));
        assert.equal(tenure.partition, 0);
        assert.equal(tenure.mayAct(), true);
        clock.advance(5_001); // past the expiry less the safety margin: paused or starved
        assert.equal(tenure.mayAct(), false);
        await intake.ownership.renew(); // late, but nobody took it: the same tenure goes on
        assert.equal(tenure.mayAct(), true);
      } finally {
        await intake.close();
        await removeEventBus(nc, prefix);
      }
      // Given back (the node left): a run fired under that tenure no longer acts.
      assert.equal(tenure.mayAct(), false);
    }),
});

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
      const intake = await startHandTickedIntake(nc, prefix, clock, {
        route: (payload, _shard, settled) => {
          routed.push(String((payload as { s: number }).s));
          settled();
        },
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

Deno.test({
  ...nats,
  name:
    `PartitionIntake: a partition handed to a joining node has its guilds' workers released here${gate.note}`,
  fn: () =>
    withNats(async (nc) => {
      const prefix = uniqueName("t");
      const clock = new ManualClock(Date.now());
      const released: ((guildId: string) => boolean)[] = [];
      const a = await startHandTickedIntake(nc, prefix, clock, {
        partitions: 2,
        release: (which) => released.push(which),
      });
      let b: Awaited<ReturnType<typeof startHandTickedIntake>> | undefined;
      try {
        assert.equal(a.ownership.owned().size, 2);
        b = await startHandTickedIntake(nc, prefix, clock, { partitions: 2, nodeId: "node-b" });
        await a.ownership.rebalance(); // sees node-b: drains its surplus and hands it over
        assert.equal(a.ownership.owned().size, 1);
        assert.equal(released.length, 1, "one release, for the partition handed over");
        const guilds = Array.from({ length: 20 }, (_, i) => String(1_000 + i));
        for (const guildId of guilds) {
          assert.equal(released[0](guildId), !a.owns(guildId), `guild ${guildId}`);
        }
        assert.ok(guilds.some((g) => released[0](g)) && guilds.some((g) => !released[0](g)));
      } finally {
        await a.close();
        await b?.close();
        await removeEventBus(nc, prefix);
      }
      assert.equal(released.length, 1, "nothing released when the node leaves");
    }),
});

Deno.test({
  ...nats,
  name:
    `PartitionIntake: a lapsed partition, taken back at once, keeps its guilds' workers${gate.note}`,
  fn: () =>
    withNats(async (nc) => {
      const prefix = uniqueName("t");
      const clock = new ManualClock(Date.now());
      const notices: string[] = [];
      let released = 0;
      const intake = await startHandTickedIntake(nc, prefix, clock, {
        release: () => released++,
        onNotice: (_level, message) => notices.push(message),
      });
      try {
        clock.advance(8_000); // starved past its lease, which nobody takes
        await intake.ownership.renew();
        await until("the lapse", () => notices.some((n) => /after it had lapsed/.test(n)), 10_000);
        await until("the consumer again", () => intake.consumers.has(0), 10_000);
        assert.ok(intake.owns("101"));
        assert.equal(released, 0);
      } finally {
        await intake.close();
      }
      assert.equal(released, 0, "nor when the node leaves");
      await removeEventBus(nc, prefix);
    }),
});
