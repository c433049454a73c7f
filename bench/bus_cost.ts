/**
 * `deno task bench --bus [--quick]`: the event bus alone, against the NATS server of
 * this machine: CPU per event of publishing (`EventPublisher`) and of
 * consuming with a no-op `take` (`PartitionConsumer`: pull, handled mark,
 * ack), for this process and for nats-server, and the hop's latency
 * (publish called → `take` called) at a paced rate: with both ends in this
 * process, and with the publisher in a process of its own (`bus_hop_child.ts`)
 * as a gateway node is. What the cluster benchmark's gateway and runtime
 * figures are made of, without Discord, sandboxes or the emulator.
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
  /** Publish called → `take` called, one event every `gapMs`, both in this process. */
  hopMs: Summary;
  /** The same with the publisher in another process (send times compared across processes). */
  hopAcrossMs: Summary;
}

const PARTITIONS = 8;

/** The guilds the bench's events are spread over. */
export const BUS_GUILDS: readonly string[] = Array.from(
  { length: 50 },
  (_, i) => String(900_000 + i),
);

/** A MESSAGE_CREATE about the size of the emulator's, with its frame as a gateway node has it. */
export function busMessage(guildId: string, seq: number): BusEvent {
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
    const guilds = BUS_GUILDS;
    const { events } = options;

    const burst = Array.from({ length: events }, (_, i) => busMessage(guilds[i % 50], i + 1));
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
    /** When each event was taken (`performance.timeOrigin + performance.now()`), by id. */
    const takenAt = new Map<string, number>();
    const take = (event: BusEvent) => {
      taken++;
      const sent = hops.get(event.id);
      if (sent !== undefined) samples.push(performance.now() - sent);
      takenAt.set(event.id, performance.timeOrigin + performance.now());
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
      const event = busMessage(guilds[i % 50], events + i + 1);
      hops.set(event.id, performance.now());
      await publisher.publish(event);
      await sleep(options.gapMs);
    }
    const hopAcrossMs = await hopAcross(prefix, events + options.hops + 1, options, takenAt);
    await Promise.all(consumers.map((c) => c.stop()));
    return { events, publish, consume, hopMs: summarize(samples), hopAcrossMs };
  } finally {
    await removeEventBus(nc, prefix).catch(() => {});
    await consumerNc.close();
    await nc.close();
  }
}

/** Runs `bus_hop_child.ts` (the publisher) and compares its send times with the take times. */
async function hopAcross(
  prefix: string,
  first: number,
  options: { hops: number; gapMs: number },
  takenAt: Map<string, number>,
): Promise<Summary> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./bus_hop_child.ts", import.meta.url).href,
      TEST_NATS_URL,
      prefix,
      String(PARTITIONS),
      String(first),
      String(options.hops),
      String(options.gapMs),
    ],
    stdout: "piped",
  });
  const { code, stdout } = await child.output();
  if (code !== 0) throw new Error(`bus_hop_child.ts exited with ${code}`);
  await sleep(100); // the last event's take
  const samples: number[] = [];
  for (const line of new TextDecoder().decode(stdout).trim().split("\n")) {
    const { id, sentAt } = JSON.parse(line) as { id: string; sentAt: number };
    const at = takenAt.get(id);
    if (at !== undefined) samples.push(at - sentAt);
  }
  return summarize(samples);
}
