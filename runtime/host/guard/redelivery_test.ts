import assert from "node:assert/strict";
import { GuildQueue, type QueuedEvent } from "../guild_queue.ts";
import { requeueFirst, StartedEvents } from "./redelivery.ts";

const event = (n: number): QueuedEvent => ({
  name: "interactionCreate",
  payload: { n },
  receivedAt: n,
});

Deno.test("only events the process never started are replayed, in their order", () => {
  const started = new StartedEvents();
  const worker = {};
  started.mark(worker, 1);
  started.mark(worker, 2);
  started.finish(worker, 2);
  const inflight = new Map([[1, event(1)], [3, event(3)], [4, event(4)]]);
  const { replay, interrupted } = started.split(worker, inflight);
  assert.deepEqual(replay.map((e) => e.receivedAt), [3, 4]);
  assert.deepEqual(interrupted.map((e) => e.receivedAt), [1]);
  // The worker is forgotten: a second split replays everything it is given.
  assert.equal(started.split(worker, new Map([[1, event(1)]])).replay.length, 1);
});

Deno.test("replayed events go ahead of those still waiting, each exactly once", () => {
  const queue = new GuildQueue(10);
  queue.push(event(5));
  queue.push(event(6));
  requeueFirst(queue, [event(3), event(4)]);
  assert.deepEqual(queue.drain().map((e) => e.receivedAt), [3, 4, 5, 6]);
});

Deno.test("StartedEvents keeps marks reported out of order or finished out of order", () => {
  const started = new StartedEvents();
  const worker = {};
  for (const id of [1, 2, 3, 6, 5, 4, 5]) started.mark(worker, id);
  for (const id of [2, 5, 9]) started.finish(worker, id);
  // Refill after emptying, then lose the worker with every id in flight.
  const inflight = new Map(Array.from({ length: 8 }, (_, i) => [i + 1, event(i + 1)] as const));
  const { replay, interrupted } = started.split(worker, inflight);
  assert.deepEqual(interrupted.map((e) => e.receivedAt), [1, 3, 4, 6]);
  assert.deepEqual(replay.map((e) => e.receivedAt), [2, 5, 7, 8]);
  const again = {};
  for (let id = 1; id <= 3_000; id++) started.mark(again, id);
  for (let id = 1; id < 3_000; id++) started.finish(again, id);
  started.mark(again, 3_001);
  const last = new Map([[2_999, event(2_999)], [3_000, event(3_000)], [3_001, event(3_001)]]);
  assert.deepEqual(started.split(again, last).interrupted.map((e) => e.receivedAt), [3_000, 3_001]);
});
