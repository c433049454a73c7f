import assert from "node:assert/strict";
import { ProcessLoads } from "./process_load.ts";

Deno.test("ProcessLoads keeps one load per process and sums what is in flight", () => {
  const loads = new ProcessLoads<string>({ maxInflight: 100, maxConcurrentStarts: 2 });
  assert.equal(loads.of(0), loads.of(0));
  loads.of(0).inflight += 30;
  loads.of(1).inflight += 12;
  assert.equal(loads.inflight, 42);
  assert.equal(loads.of(0).room, 70);
  assert.equal(loads.of(1).starts.max, 2);
});

Deno.test("ProcessLoad.wake hands out waiting guilds only while a whole batch fits", () => {
  const load = new ProcessLoads<string>({ maxInflight: 10, maxConcurrentStarts: 1 }).of(0);
  load.inflight = 8;
  load.waiting.add("a").add("b").add("c");
  assert.deepEqual([...load.wake(4)], [], "no room for a batch of 4: nobody is woken");
  assert.equal(load.waiting.size, 3);
  load.inflight = 2;
  const woken: string[] = [];
  for (const guild of load.wake(4)) {
    woken.push(guild);
    load.inflight += 4; // the woken guild sends a batch
  }
  assert.deepEqual(woken, ["a", "b"]);
  assert.deepEqual([...load.waiting], ["c"], "the rest keep waiting, in order");
});
