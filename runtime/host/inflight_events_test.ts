import assert from "node:assert/strict";
import { InflightEvents } from "./inflight_events.ts";

Deno.test("InflightEvents finds, forgets and lists events by id, oldest first", () => {
  const inflight = new InflightEvents<string>();
  inflight.set(5, "a").set(6, "b").set(9, "c");
  assert.equal(inflight.size, 3);
  assert.equal(inflight.get(6), "b");
  assert.equal(inflight.has(7), false, "a gap holds nothing");
  assert.equal(inflight.delete(6), true);
  assert.equal(inflight.delete(6), false, "already forgotten");
  assert.equal(inflight.delete(4), false, "never set");
  assert.deepEqual([...inflight], [[5, "a"], [9, "c"]]);
  assert.deepEqual([...inflight.values()], ["a", "c"]);
  inflight.clear();
  assert.equal(inflight.size, 0);
  assert.equal(inflight.get(5), undefined);
});

Deno.test("InflightEvents starts again from the next id once nothing is in flight", () => {
  const inflight = new InflightEvents<number>();
  let id = 1;
  for (let batch = 0; batch < 100; batch++) {
    const ids = Array.from({ length: 7 }, () => id++);
    for (const i of ids) inflight.set(i, i * 10);
    for (const i of [...ids].reverse()) assert.equal(inflight.delete(i), true);
    assert.equal(inflight.size, 0);
  }
  inflight.set(id, 1);
  assert.equal(inflight.get(id), 1);
  assert.throws(() => inflight.set(id - 1, 2), /ids must increase/);
});

Deno.test("InflightEvents keeps an old event while thousands after it come and go", () => {
  const inflight = new InflightEvents<number>();
  inflight.set(1, 1);
  for (let id = 2; id < 5_000; id++) {
    inflight.set(id, id);
    assert.equal(inflight.delete(id), true);
  }
  assert.equal(inflight.size, 1);
  assert.equal(inflight.get(1), 1);
  inflight.set(5_000, 5_000);
  assert.equal(inflight.delete(1), true);
  assert.deepEqual([...inflight], [[5_000, 5_000]]);
  assert.equal(inflight.get(5_000), 5_000);
});
