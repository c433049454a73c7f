import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { natsGate, uniqueName } from "../../storage/testing/servers.ts";
import { busNames, ensureEventBus, removeEventBus } from "./event_bus.ts";
import { AckedPublisher } from "./acked_publisher.ts";
import { HandledMarks } from "./handled_marks.ts";
import { natsTest, withNats } from "./testing.ts";

const gate = await natsGate();
const nats = natsTest(gate);

/** Runs `fn` with partition 0's marks on a bus of its own, and a count of its batches. */
function withMarks(
  fn: (marks: () => HandledMarks, batches: () => Promise<number>) => Promise<void>,
): Promise<void> {
  return withNats(async (nc: NatsConnection) => {
    const prefix = uniqueName("t");
    await ensureEventBus(nc, { prefix, partitions: 1 });
    const names = busNames(prefix);
    const jsm = await jetstreamManager(nc);
    const where = { stream: names.handled, subject: names.handledSubject(0) };
    try {
      await fn(
        () => new HandledMarks(new AckedPublisher(nc), jetstream(nc), jsm, where),
        async () => (await jsm.streams.info(names.handled)).state.messages,
      );
    } finally {
      await removeEventBus(nc, prefix);
    }
  });
}

const now = () => BigInt(Date.now()) * 1_000_000n;

Deno.test({
  ...nats,
  name: `HandledMarks stores the marks made while a batch is written as the next batch${gate.note}`,
  fn: () =>
    withMarks(async (open, batches) => {
      const marks = open();
      const storedAt = now();
      const first = marks.mark("s:1"); // written at once
      const rest = Array.from({ length: 49 }, (_, i) => marks.mark(`s:${i + 2}`));
      await Promise.all([first, ...rest]);
      assert.equal(await batches(), 2);
      const reader = open(); // e.g. the next owner
      for (let n = 1; n <= 50; n++) {
        assert.ok(await reader.has(`s:${n}`, storedAt, { fresh: false }), `s:${n} marked`);
      }
      assert.equal(await reader.has("s:51", storedAt, { fresh: false }), false);
    }),
});

Deno.test({
  ...nats,
  name: `HandledMarks.has is false without waiting when nothing was marked since${gate.note}`,
  fn: () =>
    withMarks(async (open) => {
      const marks = open();
      assert.equal(await marks.has("s:1", now(), { fresh: false }), false, "no marks at all");
      await marks.mark("s:1");
      const later = now() + 60_000_000_000n; // an event stored a minute after the mark
      assert.equal(await marks.has("s:1", later, { fresh: true }), false);
    }),
});

Deno.test({
  ...nats,
  name:
    `HandledMarks.has reads again for a redelivery (fresh), not from its earlier read${gate.note}`,
  fn: () =>
    withMarks(async (open) => {
      const marks = open();
      const storedAt = now();
      await marks.mark("s:1");
      assert.equal(await marks.has("s:2", storedAt, { fresh: false }), false);
      await marks.mark("s:2"); // handled here after that read; its ack was lost
      assert.equal(await marks.has("s:2", storedAt, { fresh: false }), false, "the earlier read");
      assert.equal(await marks.has("s:2", storedAt, { fresh: true }), true);
    }),
});
