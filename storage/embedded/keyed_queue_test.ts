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
