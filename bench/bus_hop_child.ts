/**
 * The gateway side of `bus_cost.ts`'s hop across processes: publishes
 * `count` events (`bus_cost.ts`'s MESSAGE_CREATEs, sequence numbers from
 * `first`) one every `gapMs`, as a gateway node does, and writes each one's
 * id and send time (`performance.timeOrigin + performance.now()`, comparable
 * across processes) as one JSON line per event on stdout.
 *
 * Arguments: NATS URL, bus prefix, partition count, first sequence, count, gap in ms.
 *
 * @module
 */

import { connectNats } from "../runtime/cluster/nats_connection.ts";
import { EventPublisher } from "../runtime/cluster/event_bus.ts";
import { BUS_GUILDS, busMessage } from "./bus_cost.ts";

const [url, prefix, partitions, first, count, gapMs] = Deno.args;
const nc = await connectNats(url, "bench-gateway");
const publisher = new EventPublisher(nc, { prefix, partitions: Number(partitions) });
const encoder = new TextEncoder();
for (let i = 0; i < Number(count); i++) {
  const seq = Number(first) + i;
  const event = busMessage(BUS_GUILDS[i % BUS_GUILDS.length], seq);
  const sentAt = performance.timeOrigin + performance.now();
  await publisher.publish(event);
  await Deno.stdout.write(encoder.encode(`${JSON.stringify({ id: event.id, sentAt })}\n`));
  await new Promise((resolve) => setTimeout(resolve, Number(gapMs)));
}
await nc.close();
