import assert from "node:assert/strict";
import { SequenceWatermark } from "./sequence_watermark.ts";

Deno.test("SequenceWatermark moves only past events whose predecessors all settled", () => {
  const mark = new SequenceWatermark(10);
  for (const seq of [11, 12, 13, 14]) assert.equal(mark.received(seq), true);
  mark.settled(13);
  mark.settled(12);
  assert.equal(mark.value, 10, "11 is still running");
  mark.settled(11);
  assert.equal(mark.value, 13);
  assert.equal(mark.unsettled, 1);
  mark.settled(14);
  assert.equal(mark.value, 14);
});

Deno.test("SequenceWatermark ignores replays of what it already counted", () => {
  const mark = new SequenceWatermark(5);
  assert.equal(mark.received(5), false);
  assert.equal(mark.received(6), true);
  assert.equal(mark.received(6), false);
  mark.settled(6);
  assert.equal(mark.value, 6);
});

Deno.test("SequenceWatermark catches up when the host is idle, and checks its start", () => {
  const mark = new SequenceWatermark(0);
  mark.received(1);
  mark.received(2);
  mark.settleAll();
  assert.equal(mark.value, 2);
  assert.equal(mark.unsettled, 0);
  assert.throws(() => new SequenceWatermark(-1), /start must be/);
});

Deno.test("SequenceWatermark stays exact over a long run settled out of order", () => {
  const mark = new SequenceWatermark(0);
  for (let seq = 1; seq <= 5_000; seq++) mark.received(seq);
  for (let seq = 5_000; seq >= 2; seq--) mark.settled(seq);
  assert.equal(mark.value, 0);
  mark.settled(1);
  assert.equal(mark.value, 5_000);
});

Deno.test("SequenceWatermark settles sequences with gaps, out of order, while its ring wraps and grows", () => {
  const mark = new SequenceWatermark(0);
  let next = 1;
  const open: number[] = [];
  // Wrap the ring a few times with a short backlog, then grow it with a long one.
  for (let round = 0; round < 40; round++) {
    const backlog = round < 30 ? 50 : 900;
    while (open.length < backlog) {
      open.push(next);
      assert.equal(mark.received(next), true);
      next += next % 7 === 0 ? 3 : 1; // gaps: sequences another intent used
    }
    // Settle all but the oldest, newest first, then the oldest.
    for (const seq of open.slice(1).reverse()) mark.settled(seq);
    assert.equal(mark.value < open[0], true);
    assert.equal(mark.unsettled, 1);
    mark.settled(open[0]);
    assert.equal(mark.value, open.at(-1));
    assert.equal(mark.unsettled, 0);
    open.length = 0;
  }
  mark.settled(next + 10); // never received: nothing to move
  assert.equal(mark.unsettled, 0);
});
