/**
 * Where the bus hop's time goes: one MESSAGE_CREATE frame every `gapMs` from
 * a publisher process (`hop_probe_child.ts`) through nats-server to this one,
 * by four paths, in interleaved blocks: core NATS and JetStream (file stream,
 * pull consumer, explicit acks), each on bare sockets and through nats.js
 * (flora's transport, `EventPublisher` → `PartitionConsumer` for JetStream;
 * `lib-js-bare`: nats.js's own consumer callback, no `PartitionConsumer`).
 * Each message is split into: publish called → bytes handed to the socket
 * (client send), → socket read returned here (kernel, nats-server, kernel),
 * → handler called (client receive), and for `lib-js` read → nats.js's
 * consumer callback. The publisher is warmed by 1,000 messages back to back
 * before each block, as a gateway node is by the traffic before a reply.
 *
 * `deno run -A bench/hop_probe.ts [rounds=4] [perBlock=45] [gapMs=30] [paths]`
 * (paths: `raw-core,lib-core,raw-js,lib-js` by default, `lib-js-bare` too).
 *
 * @module
 */

import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../runtime/cluster/nats_connection.ts";
import {
  busNames,
  ensureEventBus,
  PartitionConsumer,
  removeEventBus,
} from "../runtime/cluster/event_bus.ts";
import { TEST_NATS_URL, uniqueName } from "../storage/testing/servers.ts";
import { percentile } from "./stats.ts";
import { stampReads } from "./hop_probe_stamps.ts";
import { rawConnect } from "./hop_probe_raw.ts";

const rounds = Number(Deno.args[0] ?? 4);
const perBlock = Number(Deno.args[1] ?? 45);
const gapMs = Number(Deno.args[2] ?? 30);
const paths = (Deno.args[3] ?? "raw-core,lib-core,raw-js,lib-js").split(",");
const WARM = 5;
const now = () => performance.timeOrigin + performance.now();
const reads = stampReads();

let callbackAt = NaN;
interface Received {
  readAt: number;
  callbackAt?: number;
  takenAt: number;
}
interface Sent {
  seq: number;
  calledAt: number;
  sentAt: number;
}
const received = new Map<number, Received>();
const sample: Record<
  string,
  { total: number[]; send: number[]; wire: number[]; recv: number[]; cb: number[] }
> = {};

const nc = await connectNats(TEST_NATS_URL, "probe-consumer");
const libPrefix = uniqueName("probe");
const rawPrefix = uniqueName("probe");
const barePrefix = uniqueName("probe");
await ensureEventBus(nc, { prefix: barePrefix, partitions: 1 });
await ensureEventBus(nc, { prefix: libPrefix, partitions: 1 });
await ensureEventBus(nc, { prefix: rawPrefix, partitions: 1 });
const coreSubject = `probe.core.${crypto.randomUUID().slice(0, 8)}`;

// nats.js, core
nc.subscribe(`${coreSubject}.lib`, {
  callback: (_error, msg) => {
    const takenAt = now();
    received.set(msg.json<{ s: number }>().s, { readAt: reads.last(), takenAt });
  },
});
// nats.js, JetStream, its consumer's callback itself (no PartitionConsumer)
{
  const names = busNames(barePrefix);
  await (await jetstreamManager(nc)).consumers.add(names.stream, {
    durable_name: "bare",
    filter_subject: names.subject(0),
    ack_policy: AckPolicy.Explicit,
    ack_wait: 60_000 * 1_000_000,
    max_ack_pending: 256,
    deliver_policy: DeliverPolicy.All,
  });
  const bare = await jetstream(nc).consumers.get(names.stream, "bare");
  // Every consumer's callback stamped on entry (nats.js has parsed the message, JsMsg built).
  const proto = Object.getPrototypeOf(bare) as {
    consume(options: { callback?: (msg: unknown) => void }): Promise<unknown>;
  };
  const consume = proto.consume;
  proto.consume = function (this: unknown, options) {
    const callback = options.callback;
    if (callback) {
      options = {
        ...options,
        callback: (msg) => {
          callbackAt = now();
          callback(msg);
        },
      };
    }
    return consume.call(this, options);
  };
  await bare.consume({
    max_messages: 256,
    callback(msg) {
      const takenAt = now();
      received.set(msg.json<{ s: number }>().s, { readAt: reads.last(), takenAt });
      msg.ack();
    },
  });
}
// nats.js, JetStream as the runtime node consumes
const consumer = await PartitionConsumer.start(nc, {
  prefix: libPrefix,
  partitions: 1,
  partition: 0,
  fence: () => true,
  take(event) {
    const takenAt = now();
    received.set((event.payload as { s: number }).s, {
      readAt: reads.last(),
      callbackAt,
      takenAt,
    });
    return Promise.resolve("finished");
  },
});
// bare socket, core
const rawCore = await rawConnect(TEST_NATS_URL);
await rawCore.write(`SUB ${coreSubject}.raw 1\r\n`);
rawCore.listen((msg) => {
  const takenAt = now();
  received.set(JSON.parse(msg.payload).s, { readAt: msg.readAt, takenAt });
});
// bare socket, JetStream: a pull of the same consumer configuration, acked after the stamp
const rawNames = busNames(rawPrefix);
const jsm = await jetstreamManager(nc);
await jsm.consumers.add(rawNames.stream, {
  durable_name: "raw",
  filter_subject: rawNames.subject(0),
  ack_policy: AckPolicy.Explicit,
  ack_wait: 60_000 * 1_000_000,
  max_ack_pending: 256,
  deliver_policy: DeliverPolicy.All,
});
const rawJs = await rawConnect(TEST_NATS_URL);
const pullInbox = `_INBOX.rawpull.${crypto.randomUUID().slice(0, 8)}`;
await rawJs.write(`SUB ${pullInbox} 1\r\n`);
const pull = JSON.stringify({ batch: 10_000, expires: 600 * 1e9 });
await rawJs.write(
  `PUB $JS.API.CONSUMER.MSG.NEXT.${rawNames.stream}.raw ${pullInbox} ${pull.length}\r\n${pull}\r\n`,
);
rawJs.listen((msg) => {
  const takenAt = now();
  if (!msg.reply) return; // a status (no messages, heartbeat)
  received.set(JSON.parse(msg.payload).s, { readAt: msg.readAt, takenAt });
  rawJs.write(`PUB ${msg.reply} 0\r\n\r\n`);
});

const target: Record<string, string> = {
  "raw-core": `${coreSubject}.raw`,
  "lib-core": `${coreSubject}.lib`,
  "raw-js": rawNames.subject(0),
  "lib-js": libPrefix,
  "lib-js-bare": barePrefix,
};

let first = 1;
for (let round = 0; round < rounds; round++) {
  for (const path of paths) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./hop_probe_child.ts", import.meta.url).href,
        path,
        TEST_NATS_URL,
        target[path],
        String(first),
        String(perBlock),
        String(gapMs),
      ],
      stdout: "piped",
    });
    const { code, stdout } = await child.output();
    if (code !== 0) throw new Error(`hop_probe_child.ts ${path} exited with ${code}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const s = sample[path] ??= { total: [], send: [], wire: [], recv: [], cb: [] };
    const sent = new TextDecoder().decode(stdout).trim().split("\n").map((line) =>
      JSON.parse(line) as Sent
    );
    for (const { seq, calledAt, sentAt } of sent.slice(WARM)) {
      const r = received.get(seq);
      if (!r) continue;
      s.total.push(r.takenAt - calledAt);
      s.send.push(sentAt - calledAt);
      s.wire.push(r.readAt - sentAt);
      s.recv.push(r.takenAt - r.readAt);
      if (r.callbackAt !== undefined) s.cb.push(r.callbackAt - r.readAt);
    }
    first += perBlock;
  }
}

const p50 = (xs: number[]) => Math.round(percentile(xs, 50) * 1000) / 1000;
console.log(`load average ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
console.log("path       n    total p50  send   wire   recv   (read → nats.js callback) (ms)");
for (const path of paths) {
  const s = sample[path];
  console.log(
    `${path.padEnd(9)} ${String(s.total.length).padStart(4)}  ${p50(s.total).toFixed(3)}     ${
      p50(s.send).toFixed(3)
    }  ${p50(s.wire).toFixed(3)}  ${p50(s.recv).toFixed(3)}  ${
      s.cb.length ? p50(s.cb).toFixed(3) : ""
    }`,
  );
}
await consumer.stop();
rawCore.close();
rawJs.close();
await removeEventBus(nc, libPrefix);
await removeEventBus(nc, rawPrefix);
await removeEventBus(nc, barePrefix);
await nc.close();
