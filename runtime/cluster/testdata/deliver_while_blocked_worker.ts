/**
 * Publishes events to a bus's partition 0 while the thread that consumes it
 * is blocked (`Atomics.wait` on `flag`), and wakes it once the server has
 * delivered them all to that consumer: they wait unread in its socket, as
 * events pushed to a paused node's open pull do (`event_bus_test.ts`).
 * `flag[0]` says how it went: 1 delivered, 2 not (the error is posted).
 *
 * @module
 */

import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../nats_connection.ts";
import { type BusEvent, busNames, EventPublisher } from "../event_bus.ts";

/** The one request: `events` published on bus `prefix`, then `flag[0]` set and notified. */
export interface DeliverRequest {
  servers: string;
  prefix: string;
  events: BusEvent[];
  flag: SharedArrayBuffer;
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<DeliverRequest>) => void) | null;
  postMessage(message: string): void;
}
const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async ({ data }) => {
  const flag = new Int32Array(data.flag);
  let outcome = 2;
  const nc = await connectNats(data.servers, "deliver-while-blocked");
  try {
    const publisher = new EventPublisher(nc, { prefix: data.prefix, partitions: 1 });
    for (const event of data.events) await publisher.publish(event);
    const jsm = await jetstreamManager(nc);
    const names = busNames(data.prefix);
    const deadline = Date.now() + 10_000;
    while (
      (await jsm.consumers.info(names.stream, names.consumer(0))).num_ack_pending <
        data.events.length
    ) {
      if (Date.now() > deadline) throw new Error("the events were not delivered within 10 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    outcome = 1;
  } catch (error) {
    scope.postMessage(String(error));
  } finally {
    await nc.close();
    Atomics.store(flag, 0, outcome);
    Atomics.notify(flag, 0);
  }
};
