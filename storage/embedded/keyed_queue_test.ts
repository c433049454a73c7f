import { assertEquals, assertRejects } from "../contract/assert.ts";
import { KeyedQueue } from "./keyed_queue.ts";

Deno.test("KeyedQueue: tasks of one key run one at a time, in order; a failure does not block", async () => {
  const queue = new KeyedQueue();
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = queue.run("a", async () => {
    events.push("a1 start");
    await gate;
    events.push("a1 end");
    throw new Error("a1 failed");
  });
  const second = queue.run("a", () => {
    events.push("a2");
    return Promise.resolve(2);
  });
  const other = queue.run("b", () => {
    events.push("b1");
    return Promise.resolve("b");
  });
  assertEquals(await other, "b"); // another key does not wait for "a"
  release();
  await assertRejects(() => first, Error, "a1 failed");
  assertEquals(await second, 2);
  assertEquals(events, ["a1 start", "b1", "a1 end", "a2"]);
});

Deno.test("KeyedQueue.runNow: starts in the call when its key is free, else after the queued ones", async () => {
  const queue = new KeyedQueue();
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = queue.runNow("a", async () => {
    events.push("a1 start");
    await gate;
    events.push("a1 end");
  });
  assertEquals(events, ["a1 start"]); // started before runNow returned
  const second = queue.runNow("a", () => {
    events.push("a2");
    return Promise.resolve(2);
  });
  const other = queue.runNow("b", () => {
    events.push("b1");
    return Promise.resolve("b");
  });
  assertEquals(events, ["a1 start", "b1"]); // "a" is busy: a2 waits; "b" was free
  release();
  await first;
  assertEquals(await second, 2);
  assertEquals(await other, "b");
  assertEquals(events, ["a1 start", "b1", "a1 end", "a2"]);
  // A task that throws before returning its promise rejects, and the key is free again.
  await assertRejects(
    () =>
      queue.runNow("c", () => {
        throw new Error("sync");
      }),
    Error,
    "sync",
  );
  assertEquals(await queue.runNow("c", () => Promise.resolve("after")), "after");
});
