import assert from "node:assert/strict";
import { GuildQueue, isDroppable, type QueuedEvent, queuedEvent } from "./guild_queue.ts";
import { RawJsonStore } from "../sandbox/raw_json.ts";

function event(name: QueuedEvent["name"], n: number): QueuedEvent {
  return { name, payload: { n }, receivedAt: n };
}

Deno.test("messages past the backlog are dropped and counted; interactions never are", () => {
  const queue = new GuildQueue(3);
  for (let i = 0; i < 5; i++) queue.push(event("messageCreate", i));
  assert.equal(queue.length, 3);
  assert.equal(queue.push(event("interactionCreate", 5)), true);
  assert.equal(queue.push(event("cron", 6)), true);
  assert.equal(queue.push(event("messageUpdate", 7)), false);
  assert.deepEqual(Object.fromEntries(queue.dropped), { messageCreate: 2, messageUpdate: 1 });
  assert.equal(queue.droppedTotal, 3);
  assert.deepEqual(
    queue.drain().map((e) => (e.payload as { n: number }).n),
    [0, 1, 2, 5, 6],
    "accepted events keep their arrival order",
  );
  assert.equal(queue.length, 0);
});

Deno.test("shift returns events in order across compaction", () => {
  const queue = new GuildQueue(10_000);
  for (let i = 0; i < 5_000; i++) queue.push(event("messageCreate", i));
  for (let i = 0; i < 4_000; i++) {
    assert.equal((queue.shift()!.payload as { n: number }).n, i);
  }
  for (let i = 5_000; i < 6_000; i++) queue.push(event("messageCreate", i));
  assert.equal(queue.length, 2_000);
  const rest: number[] = [];
  for (let e = queue.shift(); e; e = queue.shift()) rest.push((e.payload as { n: number }).n);
  assert.deepEqual(rest, Array.from({ length: 2_000 }, (_, i) => 4_000 + i));
  assert.equal(queue.shift(), undefined);
});

Deno.test("droppable events are the chatty ones", () => {
  for (const name of ["messageCreate", "messageUpdate", "typingStart", "presenceUpdate"]) {
    assert.equal(isDroppable(name), true, name);
  }
  for (const name of ["interactionCreate", "cron", "ready", "messageDelete", "memberAdd"]) {
    assert.equal(isDroppable(name), false, name);
  }
});

Deno.test("a backlog below 1 is refused with a clear error", () => {
  assert.throws(() => new GuildQueue(0), /backlog must be a whole number ≥ 1/);
});

Deno.test("takeBatch takes a run of droppable events, or one event that owes an answer", () => {
  const queue = new GuildQueue(100);
  for (let i = 0; i < 5; i++) queue.push(event("messageCreate", i));
  queue.push(event("interactionCreate", 5));
  queue.push(event("cron", 6));
  for (let i = 7; i < 10; i++) queue.push(event("messageUpdate", i));
  const taken = (max: number) => queue.takeBatch(max).map((e) => (e.payload as { n: number }).n);
  assert.deepEqual(taken(3), [0, 1, 2]);
  assert.deepEqual(taken(64), [3, 4]);
  assert.deepEqual(taken(64), [5]);
  assert.deepEqual(taken(64), [6]);
  assert.deepEqual(taken(64), [7, 8, 9]);
  assert.deepEqual(taken(64), []);
  assert.equal(queue.length, 0);
});

Deno.test("withdraw gives back the events another node can run; the rest keep their order", () => {
  const queue = new GuildQueue(100);
  const told: string[] = [];
  const bus = (name: QueuedEvent["name"], n: number): QueuedEvent => ({
    ...event(name, n),
    settled: () => told.push(`settled ${n}`),
    handover: {
      id: `e${n}`,
      mayHaveRun: false,
      partition: 0,
      mayStart: () => true,
      mayAct: () => true,
      fenced: () => {},
      withdrawn: () => told.push(`withdrawn ${n}`),
    },
  });
  queue.push(bus("messageCreate", 0));
  queue.push(event("cron", 1)); // this node's own: stays
  queue.push(bus("interactionCreate", 2)); // its answer has begun here: stays
  queue.push(bus("messageCreate", 3));
  assert.equal(queue.withdraw(), 2);
  assert.deepEqual(told, ["withdrawn 0", "withdrawn 3"]);
  const rest = queue.drain();
  assert.deepEqual(rest.map((e) => (e.payload as { n: number }).n), [1, 2]);
  assert.equal(queue.withdraw(), 0);
});

Deno.test("takeBatch gives back the events this node may no longer start", () => {
  const queue = new GuildQueue(100);
  const told: number[] = [];
  let owned = true;
  const bus = (name: QueuedEvent["name"], n: number): QueuedEvent => ({
    ...event(name, n),
    handover: {
      id: `e${n}`,
      mayHaveRun: false,
      partition: 0,
      mayStart: () => owned,
      mayAct: () => owned,
      fenced: () => {},
      withdrawn: () => told.push(n),
    },
  });
  queue.push(bus("messageCreate", 0));
  queue.push(bus("messageCreate", 1));
  assert.deepEqual(queue.takeBatch(1).map((e) => (e.payload as { n: number }).n), [0]);
  owned = false; // the partition's lease ran out
  queue.push(bus("messageUpdate", 2));
  queue.push(event("cron", 3)); // this node's own
  queue.push(bus("messageCreate", 4));
  assert.deepEqual(queue.takeBatch(8).map((e) => (e.payload as { n: number }).n), [3]);
  assert.deepEqual(told, [1, 2]);
  assert.deepEqual(queue.takeBatch(8), [], "only given-back events were left");
  assert.deepEqual(told, [1, 2, 4]);
  assert.equal(queue.length, 0);
});

Deno.test("GuildQueue keeps arrival order when a queue that emptied fills again", () => {
  const queue = new GuildQueue(100);
  const n = (e: QueuedEvent | undefined) => (e?.payload as { n: number } | undefined)?.n;
  for (let i = 0; i < 3; i++) queue.push(event("messageCreate", i));
  assert.deepEqual(queue.takeBatch(64).map(n), [0, 1, 2]);
  assert.equal(queue.length, 0);
  assert.equal(queue.head, undefined);
  queue.push(event("messageCreate", 3));
  queue.push(event("interactionCreate", 4));
  queue.push(event("messageCreate", 5));
  assert.equal(queue.length, 3);
  assert.deepEqual(queue.takeBatch(64).map(n), [3], "an interaction ends the run before it");
  assert.deepEqual(queue.takeBatch(64).map(n), [4]);
  assert.deepEqual(queue.takeBatch(64).map(n), [5]);
  assert.equal(queue.shift(), undefined);
});

Deno.test("GuildQueue.owesAnswer tells whether an event that owes an answer waits, wherever it is", () => {
  const queue = new GuildQueue(10);
  const chat = { name: "messageCreate" as const, payload: {}, receivedAt: 0 };
  const interaction = { name: "interactionCreate" as const, payload: {}, receivedAt: 0 };
  queue.push(chat);
  assert.equal(queue.owesAnswer, false);
  queue.push(interaction);
  queue.push(chat);
  assert.equal(queue.owesAnswer, true, "behind a chat event");
  queue.shift();
  assert.equal(queue.owesAnswer, true, "at the head");
  queue.shift();
  assert.equal(queue.owesAnswer, false, "gone to its worker");
  queue.push(interaction);
  queue.drain();
  assert.equal(queue.owesAnswer, false, "drained");
});

Deno.test("queuedEvent keeps a frame's bytes instead of its payload, except an interaction's", () => {
  const frames = new RawJsonStore();
  const d = { id: "1", guild_id: "g", content: "hi" };
  const frame = JSON.stringify({ op: 0, t: "MESSAGE_CREATE", s: 1, d });
  const message = queuedEvent(frames, "messageCreate", undefined, frame);
  assert.equal(message.payload, undefined);
  assert.ok(message.frame);
  assert.ok(message.receivedAt > 0);
  const interaction = queuedEvent(frames, "interactionCreate", undefined, frame);
  assert.deepEqual(interaction.payload, d); // the host answers interactions: parsed
  // A frame that cannot ride raw (a tab between its tokens) is parsed for the worker.
  const tabbed = JSON.stringify({ op: 0, t: "MESSAGE_CREATE", s: 2, d }).replace(":", ":\t");
  const parsed = queuedEvent(frames, "messageCreate", undefined, tabbed);
  assert.equal(parsed.frame, undefined);
  assert.deepEqual(parsed.payload, d);
  // No frame: the payload as given.
  assert.deepEqual(queuedEvent(frames, "messageCreate", d).payload, d);
});
