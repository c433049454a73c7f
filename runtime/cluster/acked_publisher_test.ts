import assert from "node:assert/strict";
import { natsGate, uniqueName } from "../../storage/testing/servers.ts";
import { AckedPublisher, PublishError } from "./acked_publisher.ts";
import { busNames, ensureEventBus, removeEventBus } from "./event_bus.ts";
import { natsTest, withNats } from "./testing.ts";

const gate = await natsGate();
const nats = natsTest(gate);

Deno.test({
  ...nats,
  name: `AckedPublisher resolves each publish with its stream sequence, in order${gate.note}`,
  fn: () =>
    withNats(async (nc) => {
      const prefix = uniqueName("t");
      await ensureEventBus(nc, { prefix, partitions: 1 });
      try {
        const publisher = new AckedPublisher(nc);
        const subject = busNames(prefix).subject(0);
        const acks = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            publisher.publish(subject, `${i}`, { msgID: `m${i}` })),
        );
        assert.deepEqual(
          acks.map((a) =>
            a.seq
          ),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        assert.ok(acks.every((a) => a.stream === busNames(prefix).stream && !a.duplicate));
        const again = await publisher.publish(subject, "0", { msgID: "m0" });
        assert.deepEqual(again, { stream: busNames(prefix).stream, seq: 1, duplicate: true });
      } finally {
        await removeEventBus(nc, prefix);
      }
    }),
});

Deno.test({
  ...nats,
  name: `AckedPublisher rejects a publish no stream takes, and one left unanswered${gate.note}`,
  fn: () =>
    withNats(async (nc) => {
      const publisher = new AckedPublisher(nc, { timeoutMs: 200 });
      await assert.rejects(
        publisher.publish(uniqueName("nowhere"), "x"),
        (error: unknown) => error instanceof PublishError && /no stream takes/.test(error.message),
      );
      const silent = uniqueName("silent");
      const sub = nc.subscribe(silent); // a responder that never answers
      try {
        await assert.rejects(
          publisher.publish(silent, "x"),
          (error: unknown) =>
            error instanceof PublishError && /no ack within 200 ms/.test(error.message),
        );
      } finally {
        sub.unsubscribe();
      }
    }),
});
