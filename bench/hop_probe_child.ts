/**
 * The publishing side of `hop_probe.ts`: publishes `count` MESSAGE_CREATE
 * frames, one every `gapMs`, by one of the probe's paths, and writes one JSON
 * line per message on stdout: its sequence number, when publishing was called
 * (`calledAt`) and when the bytes were handed to the socket (`sentAt`), both
 * `performance.timeOrigin + performance.now()` (comparable across processes).
 *
 * Arguments: path (`raw-core`, `raw-js`, `lib-core`, `lib-js`), NATS URL,
 * subject (or bus prefix for `lib-js`), first sequence, count, gap in ms.
 *
 * @module
 */

import { connectNats } from "../runtime/cluster/nats_connection.ts";
import { EventPublisher } from "../runtime/cluster/event_bus.ts";
import { BUS_GUILDS, busMessage } from "./bus_cost.ts";
import { stampSends } from "./hop_probe_stamps.ts";
import { rawConnect } from "./hop_probe_raw.ts";

const [path, url, subject, first, count, gapMs] = Deno.args;
const now = () => performance.timeOrigin + performance.now();
const encoder = new TextEncoder();
const lines: string[] = [];
/** Messages sent back to back before the timed ones (not timed). */
const WARM_UP = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (path === "raw-core" || path === "raw-js") {
  const raw = await rawConnect(url);
  raw.drain(); // PubAcks and PONGs, read and dropped
  const inbox = `_INBOX.probe.${crypto.randomUUID().slice(0, 8)}`;
  for (let i = -WARM_UP; i < Number(count); i++) {
    const seq = i < 0 ? 1e9 + Number(first) * 2_000 + WARM_UP + i : Number(first) + i;
    const frame = busMessage(BUS_GUILDS[0], seq).frame!;
    const calledAt = now();
    const body = encoder.encode(frame);
    let command: Uint8Array;
    if (path === "raw-core") {
      command = encoder.encode(`PUB ${subject} ${body.length}\r\n${frame}\r\n`);
    } else {
      const h = `NATS/1.0\r\nFlora-Guild: ${BUS_GUILDS[0]}\r\nFlora-Shard: 0\r\n` +
        `Nats-Msg-Id: probe:${seq}\r\n\r\n`;
      const hb = encoder.encode(h).length;
      command = encoder.encode(
        `HPUB ${subject} ${inbox}.${seq} ${hb} ${hb + body.length}\r\n${h}${frame}\r\n`,
      );
    }
    const sentAt = now();
    await raw.write(command);
    if (i < 0) continue;
    lines.push(JSON.stringify({ seq, calledAt, sentAt }));
    await sleep(Number(gapMs));
  }
  raw.close();
} else {
  const sends = stampSends();
  const nc = await connectNats(url, "probe-publisher");
  const publisher = path.startsWith("lib-js")
    ? new EventPublisher(nc, { prefix: subject, partitions: 1 })
    : undefined;
  // Warm, as a gateway node is after the benchmark's burst: its code compiled and optimized.
  for (let i = 0; i < WARM_UP; i++) {
    const event = busMessage(BUS_GUILDS[0], 1e9 + Number(first) * 2_000 + i);
    if (path === "lib-core") nc.publish(subject, event.frame!);
    else await publisher!.publish(event);
  }
  await nc.flush();
  await sleep(200);
  for (let i = 0; i < Number(count); i++) {
    const seq = Number(first) + i;
    const event = busMessage(BUS_GUILDS[0], seq);
    const calledAt = now();
    if (path === "lib-core") {
      nc.publish(subject, event.frame!);
      await Promise.resolve(); // nats.js writes on the next microtask
    } else {
      await publisher!.publish(event);
    }
    lines.push(JSON.stringify({ seq, calledAt, sentAt: sends.first() }));
    await sleep(Number(gapMs));
  }
  await nc.close();
}
await Deno.stdout.write(encoder.encode(lines.join("\n") + "\n"));
