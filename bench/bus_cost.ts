/**
 * `deno task bench --bus [--quick]`: the event bus alone, against the NATS server of
 * this machine: CPU per event of publishing (`EventPublisher`) and of
 * consuming with a no-op `take` (`PartitionConsumer`: pull, handled mark,
 * ack), for this process and for nats-server, and the hop's latency
 * (publish called → `take` called) at a paced rate. What the cluster
 * benchmark's gateway and runtime figures are made of, without Discord,
 * sandboxes or the emulator.
 *
 * @module
 */

import { connectNats } from "../runtime/cluster/nats_connection.ts";
import { natsGate, TEST_NATS_URL, uniqueName } from "../storage/testing/servers.ts";
import {
  type BusEvent,
  ensureEventBus,
  EventPublisher,
  PartitionConsumer,
  removeEventBus,
} from "../runtime/cluster/event_bus.ts";
import {
  cpuSecondsOf,
  cpuSecondsOfAll,
  pidsNamed,
  round,
  sleep,
  summarize,
  type Summary,
} from "./stats.ts";

/** The bus's figures. */
export interface BusCostResult {
  events: number;
  publish: { perSec: number; clientUs: number; natsUs: number };
  consume: { perSec: number; clientUs: number; natsUs: number };
  /** Publish called → `take` called, one event every `gapMs`. */
  hopMs: Summary;
}

const PARTITIONS = 8;

/** A MESSAGE_CREATE about the size of the emulator's, with its frame as a gateway node has it. */
function message(guildId: string, seq: number): BusEvent {
  const event = {
    id: `bench-session:${seq}`,
    guildId,
    shardId: 0,
    payload: {
      op: 0,
      t: "MESSAGE_CREATE",
      s: seq,
      d: {
        id: String(1_000_000_000_000_000n + BigInt(seq)),
        channel_id: `${guildId}1`,
        guild_id: guildId,
        content: "hello",
        timestamp: new Date(0).toISOString(),
        tts: false,
        mention_everyone: false,
        mentions: [],
        mention_roles: [],
        attachments: [],
        embeds: [],
        pinned: false,
        type: 0,
        author: { id: "42", username: "bench", discriminator: "0", avatar: null, bot: false },
        member: { roles: [], joined_at: new Date(0).toISOString(), deaf: false, mute: false },
      },
    },
  };
  return { ...event, frame: JSON.stringify(event.payload) };
}

/**
 * Publishes `events` events over 50 guilds, consumes them on every partition,
 * then measures the hop at one event every `gapMs`.
 */
export async function runBusCost(
  options: { events: number; hops: number; gapMs: number },
): Promise<BusCostResult | null> {
  const gate = await natsGate();
  if (gate.ignore) {
    console.error(`bench --bus needs NATS:${gate.note}`);
    return null;
  }
  const prefix = uniqueName("bench");
  const nc = await connectNats(TEST_NATS_URL);
  const consumerNc = await connectNats(TEST_NATS_URL);
  const nats = pidsNamed("nats-server");
  const cpu = () => ({ self: cpuSecondsOf(Deno.pid), nats: cpuSecondsOfAll(nats) });
  const perEvent = (before: { self: number; nats: number }, n: number) => {
    const now = cpu();
    return {
      clientUs: round(((now.self - before.self) / n) * 1e6, 1),
      natsUs: round(((now.nats - before.nats) / n) * 1e6, 1),
    };
  };
  try {
    await ensureEventBus(nc, { prefix, partitions: PARTITIONS });
    const publisher = new EventPublisher(nc, { prefix, partitions: PARTITIONS });
    const guilds = Array.from({ length: 50 }, (_, i) => String(900_000 + i));
    const { events } = options;

    const burst = Array.from({ length: events }, (_, i) => message(guilds[i % 50], i + 1));
    let before = cpu();
    let start = performance.now();
    // As the gateway node does under a burst: publishes started without waiting for the previous
    // PubAck (windows of 256, so a loaded machine does not time them out).
    for (let i = 0; i < events; i += 256) {
      await Promise.all(
        Array.from(
          { length: Math.min(256, events - i) },
          (_, j) => publisher.publish(burst[i + j]),
        ),
      );
    }
    const publish = {
      perSec: Math.round(events / ((performance.now() - start) / 1000)),
      ...perEvent(before, events),
    };

    let taken = 0;
    const hops = new Map<string, number>();
    const samples: number[] = [];
    const take = (event: BusEvent) => {
      taken++;
      const sent = hops.get(event.id);
      if (sent !== undefined) samples.push(performance.now() - sent);
      return Promise.resolve("finished" as const);
    };
    before = cpu();
    start = performance.now();
    const consumers = await Promise.all(
      Array.from({ length: PARTITIONS }, (_, partition) =>
        PartitionConsumer.start(consumerNc, {
          prefix,
          partitions: PARTITIONS,
          partition,
          take,
          fence: () => true,
        })),
    );
    while (taken < events) await sleep(5);
    await Promise.all(consumers.map((c) => c.idle()));
    const consume = {
      perSec: Math.round(events / ((performance.now() - start) / 1000)),
      ...perEvent(before, events),
    };

    for (let i = 0; i < options.hops; i++) {
      const event = message(guilds[i % 50], events + i + 1);
      hops.set(event.id, performance.now());
      await publisher.publish(event);
      await sleep(options.gapMs);
    }
    await Promise.all(consumers.map((c) => c.stop()));
    return { events, publish, consume, hopMs: summarize(samples) };
  } finally {
    await removeEventBus(nc, prefix).catch(() => {});
    await consumerNc.close();
    await nc.close();
  }
}
