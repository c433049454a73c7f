import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { natsGate, TEST_NATS_URL, uniqueName } from "../../storage/testing/servers.ts";
import {
  type BusEvent,
  BusMismatchError,
  busNames,
  ensureEventBus,
  EventPublisher,
  PartitionConsumer,
  removeEventBus,
  type TakeResult,
} from "./event_bus.ts";
import { natsTest, withNats } from "./testing.ts";
import { KeyedQueue } from "../../storage/embedded/keyed_queue.ts";

const gate = await natsGate();
const nats = natsTest(gate);

/** Runs `fn` on a bus of its own (unique prefix), removed afterwards. */
function withBus(
  partitions: number,
  fn: (nc: NatsConnection, prefix: string) => Promise<void>,
): Promise<void> {
  return withNats(async (nc) => {
    const prefix = uniqueName("t");
    await ensureEventBus(nc, { prefix, partitions });
    try {
      await fn(nc, prefix);
    } finally {
      await removeEventBus(nc, prefix);
    }
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Consumes partition 0 of a one-partition bus until `count` events were taken; returns them. */
async function takeAll(nc: NatsConnection, prefix: string, count: number): Promise<BusEvent[]> {
  const taken: BusEvent[] = [];
  const consumer = await PartitionConsumer.start(nc, {
    prefix,
    partition: 0,
    fence: () => true,
    take: (e) => {
      taken.push(e);
      return Promise.resolve("finished");
    },
  });
  await until(() => taken.length === count, `${count} events`);
  await consumer.stop();
  return taken;
}

const event = (guildId: string, n: number): BusEvent => ({
  id: `session-${guildId}:${n}`,
  guildId,
  payload: { t: "MESSAGE_CREATE", s: n, d: { guild_id: guildId, content: `#${n}` } },
});

Deno.test({
  ...nats,
  name: `EventBus delivers every event once, in order per guild, across partitions${gate.note}`,
  fn: () =>
    withBus(4, async (nc, prefix) => {
      const publisher = new EventPublisher(nc, { prefix, partitions: 4 });
      const guilds = ["101", "202", "303", "404", "505", "606"];
      const published: Promise<unknown>[] = [];
      for (let n = 1; n <= 50; n++) {
        for (const g of guilds) published.push(publisher.publish(event(g, n)));
      }
      await Promise.all(published);

      const seen = new Map<string, number[]>();
      const consumers = await Promise.all(
        [0, 1, 2, 3].map((partition) =>
          PartitionConsumer.start(nc, {
            prefix,
            partition,
            fence: () => true,
            take(e) {
              const list = seen.get(e.guildId) ?? [];
              list.push((e.payload as { s: number }).s);
              seen.set(e.guildId, list);
              // Uneven handler times: the next event is handed over before this one finishes.
              return new Promise((r) => setTimeout(() => r("finished"), Number(e.guildId) % 3));
            },
          })
        ),
      );
      await until(() => [...seen.values()].flat().length === 300, "300 events");
      await Promise.all(consumers.map((c) => c.stop()));
      const inOrder = Array.from({ length: 50 }, (_, i) => i + 1);
      for (const g of guilds) assert.deepEqual(seen.get(g), inOrder, `guild ${g} in order`);
      const jsm = await jetstreamManager(nc);
      for (const partition of [0, 1, 2, 3]) {
        const info = await jsm.consumers.info(busNames(prefix).stream, `p${partition}`);
        assert.equal(info.num_ack_pending, 0, `partition ${partition} fully acked`);
      }
    }),
});

Deno.test({
  ...nats,
  name:
    `EventBus acks an event only once its handler finished; the next owner runs the rest${gate.note}`,
  fn: () =>
    withBus(1, async (nc, prefix) => {
      const publisher = new EventPublisher(nc, { prefix, partitions: 1 });
      for (let n = 1; n <= 6; n++) await publisher.publish(event("G", n));
      const jsm = await jetstreamManager(nc);
      const ackPending = async () =>
        (await jsm.consumers.info(busNames(prefix).stream, "p0")).num_ack_pending;
      // Node A takes all six at once (handed over without waiting) and finishes only 1..3;
      // 4..6 stay queued in its sandbox when it dies.
      const finish = new Map<string, () => void>();
      const a = await PartitionConsumer.start(nc, {
        prefix,
        partition: 0,
        fence: () => true,
        take: (e) => new Promise((resolve) => finish.set(e.id, () => resolve("finished"))),
      });
      await until(() => finish.size === 6, "A takes six events before any finished");
      assert.equal(await ackPending(), 6, "nothing acked while every handler runs");
      for (let n = 1; n <= 3; n++) finish.get(event("G", n).id)!();
      for (let i = 0; i < 500 && await ackPending() !== 3; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(await ackPending(), 3, "the three finished ones are acked");
      assert.equal(await a.stop(0), 3, "A dies with three unfinished");

      const ran: number[] = [];
      const b = await PartitionConsumer.start(nc, {
        prefix,
        partition: 0,
        fence: () => true,
        take: (e) => {
          ran.push((e.payload as { s: number }).s);
          return Promise.resolve("finished");
        },
      });
      await until(() => ran.length === 3, "B runs what A left");
      await b.stop();
      assert.deepEqual(ran, [4, 5, 6]);
      assert.equal(await ackPending(), 0);
    }),
});

Deno.test({
  ...nats,
  name:
    `EventBus: an event whose handler was fenced is delivered again at once, not acked${gate.note}`,
  fn: () =>
    withBus(1, async (nc, prefix) => {
      const publisher = new EventPublisher(nc, { prefix, partitions: 1 });
      await publisher.publish(event("G", 1));
      await publisher.publish(event("G", 2));
      const runs: string[] = [];
      const marked: string[] = [];
      const consumer = await PartitionConsumer.start(nc, {
        prefix,
        partition: 0,
        fence: () => true, // the lease looked lapsed during the call, then was renewed in time
        take: (e, delivery) => {
          const first = !runs.includes(e.id);
          runs.push(e.id);
          assert.equal(delivery.mayHaveRun, !first, "the second run may replay the journal");
          return Promise.resolve(first && e.id.endsWith(":1") ? "fenced" : "finished");
        },
        marked: (e) => marked.push(e.id),
      });
      // Within the test's wait, far below `ack_wait` (60 s): the nak brought it back.
      await until(() => marked.length === 2, "both events marked");
      await consumer.stop();
      assert.deepEqual(runs, [event("G", 1).id, event("G", 2).id, event("G", 1).id]);
      assert.deepEqual(marked.toSorted(), [event("G", 1).id, event("G", 2).id]);
      assert.equal(consumer.stats.fenced, 1);
      const jsm = await jetstreamManager(nc);
      assert.equal((await jsm.consumers.info(busNames(prefix).stream, "p0")).num_ack_pending, 0);
    }),
});

Deno.test({
  ...nats,
  name: `EventBus carries a dispatch's frame as received, not encoded again${gate.note}`,
  fn: () =>
    withBus(1, async (nc, prefix) => {
      const publisher = new EventPublisher(nc, { prefix, partitions: 1 });
      // Spacing JSON.stringify would not write: the text seen is the one sent.
      const frame = '{"op":0, "t":"MESSAGE_CREATE","s":7,"d":{"guild_id":"9","content":"hi"}}';
      await publisher.publish({ id: "s:7", guildId: "9", shardId: 2, payload: {}, frame });
      await publisher.publish({ ...event("9", 8), shardId: 2 }); // no frame: the payload's JSON
      const taken = await takeAll(nc, prefix, 2);
      assert.deepEqual(taken[0], {
        id: "s:7",
        guildId: "9",
        shardId: 2,
        payload: JSON.parse(frame),
        frame,
      });
      assert.equal(taken[1].id, event("9", 8).id);
      assert.deepEqual(taken[1].payload, event("9", 8).payload);
      assert.equal(taken[1].frame, JSON.stringify(event("9", 8).payload));
    }),
});

Deno.test({
  ...nats,
  name: `EventBus drops a second publish of the same event id${gate.note}`,
  fn: () =>
    withBus(2, async (nc, prefix) => {
      const publisher = new EventPublisher(nc, { prefix, partitions: 2 });
      const first = await publisher.publish(event("7", 1));
      const again = await publisher.publish(event("7", 1)); // e.g. replayed after a RESUME
      assert.equal(first.duplicate, false);
      assert.equal(again.duplicate, true);
      assert.equal(again.seq, first.seq);
      const info = await (await jetstreamManager(nc)).streams.info(busNames(prefix).stream);
      assert.equal(info.state.messages, 1);
    }),
});

Deno.test({
  ...nats,
  name:
    `EventBus takeover: the next owner runs what a fenced-out owner left, nothing twice${gate.note}`,
  fn: () =>
    withBus(1, async (nc, prefix) => {
      const publisher = new EventPublisher(nc, { prefix, partitions: 1 });
      // Guild X's first event blocks on node A; guild Y's five events finish (acked past
      // the ack floor, which stays before X1); X2 waits behind X1.
      for (
        const e of [
          event("X", 1),
          ...[1, 2, 3, 4, 5].map((n) => event("Y", n)),
          event("X", 2),
        ]
      ) {
        await publisher.publish(e);
      }
      const ran: string[] = [];
      let release = () => {};
      const blocked = new Promise<void>((r) => (release = r));
      let aValid = true;
      // A runs each guild's events one after another, as the sandbox's guild queue does, and
      // gives back what has not started once fenced out (the next owner runs it).
      const sink = new KeyedQueue();
      const a = await PartitionConsumer.start(nc, {
        prefix,
        partition: 0,
        fence: () => aValid,
        take: (e) =>
          sink.run(e.guildId, async (): Promise<TakeResult> => {
            if (!aValid) return "withdrawn";
            if (e.id === event("X", 1).id) await blocked;
            ran.push(`A ${e.id}`);
            return "finished";
          }),
      });
      await until(() => ran.filter((r) => r.includes("Y")).length === 5, "A runs Y1..Y5");
      // Y's acks reach the server: only X1 (running) and X2 (queued) are pending.
      const jsm = await jetstreamManager(nc);
      const pending = async () =>
        (await jsm.consumers.info(busNames(prefix).stream, "p0")).num_ack_pending;
      for (let i = 0; i < 500 && await pending() !== 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(await pending(), 2);

      // A is paused past its lease: its fence closes. X1's handler, already running, ends;
      // X2, handed over but not started, is given back (unacked).
      aValid = false;
      release();
      assert.equal(await a.stop(), 0);
      assert.equal(a.stats.withdrawn, 1, "X2 left to the next owner");

      const b = await PartitionConsumer.start(nc, {
        prefix,
        partition: 0,
        fence: () => true,
        take: (e) => {
          ran.push(`B ${e.id}`);
          return Promise.resolve("finished");
        },
      });
      await until(() => ran.includes(`B ${event("X", 2).id}`), "B runs X2");
      await until(() => b.stats.duplicates + b.stats.handled === 7, "B has seen all seven");
      await b.stop();
      const ids = ran.map((r) => r.slice(2)).sort();
      assert.deepEqual(ids, [...new Set(ids)], `nothing ran twice: ${ran.join(", ")}`);
      assert.equal(ids.length, 7, "every event ran");
      assert.ok(ran.indexOf(`A ${event("X", 1).id}`) < ran.indexOf(`B ${event("X", 2).id}`));
      // X1 (finished by A after its fence closed, so marked but not acked) and Y1..Y5 (acked
      // past the ack floor) come to B again; their marks say A ran them.
      assert.equal(b.stats.duplicates, 6, "B skipped what A had run");
      assert.equal(b.stats.handled, 1);
    }),
});

Deno.test({
  ...nats,
  name:
    `EventBus reports a message that is not an event, drops it and goes on with the partition${gate.note}`,
  fn: () =>
    withBus(1, async (nc, prefix) => {
      // Not from a gateway node: no headers, and not an event's JSON either.
      await jetstream(nc).publish(busNames(prefix).subject(0), "not an event");
      await new EventPublisher(nc, { prefix, partitions: 1 }).publish(event("G", 1));
      const taken: string[] = [];
      const errors: string[] = [];
      const consumer = await PartitionConsumer.start(nc, {
        prefix,
        partition: 0,
        fence: () => true,
        take: (e) => {
          taken.push(e.id);
          return Promise.resolve("finished");
        },
        onError: (error) => errors.push(String(error)),
      });
      await until(() => consumer.stats.handled === 1, "the event after it");
      await consumer.stop();
      assert.deepEqual(taken, [event("G", 1).id]);
      assert.equal(errors.length, 1);
      assert.match(errors[0], /stream sequence 1 is not an event, dropped/);
      const info = await (await jetstreamManager(nc)).consumers.info(busNames(prefix).stream, "p0");
      assert.equal(info.num_ack_pending + info.num_pending, 0, "neither is delivered again");
    }),
});

Deno.test({
  ...nats,
  name:
    `EventBus reads what gateway nodes before the event line published (a rolling upgrade)${gate.note}`,
  fn: () =>
    withBus(1, async (nc, prefix) => {
      const js = jetstream(nc);
      const subject = busNames(prefix).subject(0);
      const frame = '{"op":0,"t":"MESSAGE_CREATE","s":1,"d":{"guild_id":"5"}}';
      // The frame with the guild and shard in headers.
      const h = headers();
      h.set("Flora-Guild", "5");
      h.set("Flora-Shard", "3");
      await js.publish(subject, frame, { msgID: "old:1", headers: h });
      // Older still: the whole event as one JSON document.
      const whole = { id: "old:2", guildId: "5", payload: { s: 2 } };
      await js.publish(subject, JSON.stringify(whole), { msgID: "old:2" });
      // Now: the event's line, then the frame.
      const publisher = new EventPublisher(nc, { prefix, partitions: 1 });
      await publisher.publish({ id: "new:3", guildId: "5", payload: { s: 3 } });
      const stored = await (await jetstreamManager(nc)).streams.getMessage(
        busNames(prefix).stream,
        { seq: 3 },
      );
      assert.equal(stored?.string(), '@5 - new:3\n{"s":3}');
      assert.equal(stored?.header.get("Nats-Msg-Id"), "new:3", "still deduplicated by JetStream");
      const taken = await takeAll(nc, prefix, 3);
      assert.deepEqual(taken[0], {
        id: "old:1",
        guildId: "5",
        shardId: 3,
        payload: JSON.parse(frame),
        frame,
      });
      assert.deepEqual(taken[1], whole);
      assert.deepEqual(taken[2], {
        id: "new:3",
        guildId: "5",
        shardId: undefined,
        payload: { s: 3 },
        frame: '{"s":3}',
      });
      await assert.rejects(
        () => publisher.publish({ id: "x:1", guildId: "5 6", payload: {} }),
        RangeError,
      );
      await assert.rejects(
        () => publisher.publish({ id: "x\n1", guildId: "5", payload: {} }),
        RangeError,
      );
    }),
});

Deno.test({
  ...nats,
  name: `EventBus refuses a node whose partition count differs from the cluster's${gate.note}`,
  fn: () =>
    withBus(4, async (nc, prefix) => {
      await ensureEventBus(nc, { prefix, partitions: 4 }); // the same count: fine
      await assert.rejects(
        () => ensureEventBus(nc, { prefix, partitions: 8 }),
        (error: unknown) => {
          assert.ok(error instanceof BusMismatchError);
          assert.match(error.message, /FLORA_PARTITIONS is 8, but .* created with 4/);
          return true;
        },
      );
    }),
});

/**
 * Publishes `events` to partition 0 from a worker and blocks this thread until the server has
 * delivered them all to its consumer: returning without yielding, it leaves them unread in
 * this thread's socket, as a node paused with its pull open finds the events pushed meanwhile.
 */
function deliverUnread(prefix: string, events: BusEvent[]): void {
  const worker = new Worker(
    new URL("./testdata/deliver_while_blocked_worker.ts", import.meta.url),
    { type: "module" },
  );
  let failure = "";
  worker.onmessage = (message) => failure = String(message.data);
  try {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    worker.postMessage({ servers: TEST_NATS_URL, prefix, events, flag: flag.buffer });
    assert.notEqual(Atomics.wait(flag, 0, 0, 30_000), "timed-out", "the worker answers in 30 s");
    assert.equal(Atomics.load(flag, 0), 1, `the events were delivered ${failure}`);
  } finally {
    worker.terminate();
  }
}

/**
 * A consumer that was delivered three events it has not read when `stop` begins, with the
 * lease valid or not then; what it took, and what the next owner ran.
 */
async function stopWithUnread(nc: NatsConnection, prefix: string, leaseValid: boolean) {
  const taken: string[] = [];
  let valid = true;
  const consumer = await PartitionConsumer.start(nc, {
    prefix,
    partition: 0,
    fence: () => valid,
    take: (e) => {
      taken.push(e.id);
      return Promise.resolve("finished");
    },
  });
  const events = [1, 2, 3].map((n) => event("G", n));
  deliverUnread(prefix, events);
  valid = leaseValid;
  // Before this thread reads them (as a node resumed from a pause may stop the consumer first).
  assert.equal(await consumer.stop(0), 0);
  const next = await takeAll(nc, prefix, 3);
  assert.deepEqual(next.map((e) => e.id), events.map((e) => e.id), "the next owner runs them");
  return { taken, stats: consumer.stats };
}

Deno.test({
  ...nats,
  name:
    `PartitionConsumer.stop counts events delivered but unread after the lease ended as fenced, and takes none${gate.note}`,
  fn: () =>
    withBus(1, async (nc, prefix) => {
      const { taken, stats } = await stopWithUnread(nc, prefix, false);
      assert.deepEqual(taken, []);
      assert.equal(stats.fenced, 3, "each left to the next owner, and said");
      assert.equal(stats.withdrawn + stats.handled, 0);
    }),
});

Deno.test({
  ...nats,
  name:
    `PartitionConsumer.stop counts events delivered but unread at a handover as withdrawn, and takes none${gate.note}`,
  fn: () =>
    withBus(1, async (nc, prefix) => {
      const { taken, stats } = await stopWithUnread(nc, prefix, true);
      assert.deepEqual(taken, []);
      assert.equal(stats.withdrawn, 3, "each given back unstarted");
      assert.equal(stats.fenced + stats.handled, 0);
    }),
});
