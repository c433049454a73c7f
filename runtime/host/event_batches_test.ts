import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../sandbox/protocol/mod.ts";
import { finishEvents } from "./event_batches.ts";
import type { GuildWorker } from "./guild_worker.ts";
import type { QueuedEvent } from "./guild_queue.ts";
import { InflightEvents } from "./inflight_events.ts";
import { FloraMetrics } from "./metrics.ts";

Deno.test("finishEvents settles the reported events still in flight, and nothing else", () => {
  const settled: string[] = [];
  const event = (name: QueuedEvent["name"], payload: unknown): QueuedEvent => ({
    name,
    payload,
    receivedAt: performance.now(),
    settled: () => settled.push(name),
  });
  const inflight = new InflightEvents<QueuedEvent>();
  inflight.set(1, event("messageCreate", undefined));
  inflight.set(2, event("interactionCreate", { id: "i-2" }));
  inflight.set(3, event("messageCreate", undefined));
  // Only what finishing reads of a worker: its events in flight.
  const worker = { inflight } as unknown as GuildWorker;
  const load = { inflight: 3 };
  const finished: number[] = [];
  const handled: string[] = [];
  const count = finishEvents(
    worker,
    {
      v: PROTOCOL_VERSION,
      type: "eventsDone",
      guildId: "g",
      deploymentId: "d",
      ids: [1, 99, 2], // 99: not this worker's (e.g. sent before a restart)
      startedAt: performance.timeOrigin + performance.now(),
      startedUs: [0, 10, 20],
      errors: 0,
    },
    load,
    {
      metrics: new FloraMetrics(),
      started: { finish: (_worker, id) => finished.push(id) },
      acks: { handled: (id) => handled.push(id) },
    },
  );
  assert.equal(count, 2);
  assert.deepEqual(settled, ["messageCreate", "interactionCreate"]);
  assert.deepEqual(finished, [1, 2]);
  assert.deepEqual(handled, ["i-2"]);
  assert.equal(load.inflight, 1);
  assert.deepEqual([...inflight].map(([id]) => id), [3]);
});
