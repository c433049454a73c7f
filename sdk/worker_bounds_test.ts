import assert from "node:assert/strict";
import {
  CallGate,
  cutLogLine,
  jsonLengthAtLeast,
  LOG_BURST,
  LOG_CHARS_BURST,
  LOG_CHARS_PER_SECOND,
  LOG_LINES_PER_SECOND,
  LogRate,
  MAX_CALL_CHARS,
  MAX_LOG_LINE_CHARS,
} from "./worker_bounds.ts";

Deno.test("cutLogLine keeps short lines and cuts long ones with a note", () => {
  assert.equal(cutLogLine("hello"), "hello");
  const cut = cutLogLine("x".repeat(MAX_LOG_LINE_CHARS + 1_000));
  assert.ok(cut.startsWith("x".repeat(MAX_LOG_LINE_CHARS) + "…"));
  assert.match(cut, /1000 more characters cut/);
  assert.ok(cut.length < MAX_LOG_LINE_CHARS + 200);
});

Deno.test("LogRate lets a burst through, then the rate, and notes what it dropped", () => {
  let now = 0;
  const rate = new LogRate(() => now);
  for (let i = 0; i < LOG_BURST; i++) assert.ok(rate.take());
  assert.equal(rate.take(), false);
  assert.equal(rate.take(), false);
  now += 1_000 / LOG_LINES_PER_SECOND;
  assert.ok(rate.take());
  assert.match(rate.droppedNote() ?? "", /^flora: 2 log lines dropped/);
  assert.equal(rate.droppedNote(), null);
});

Deno.test("LogRate refuses lines once their characters used up the burst, until they are earned back", () => {
  let now = 0;
  const rate = new LogRate(() => now);
  let sent = 0;
  while (rate.take()) {
    rate.spend(MAX_LOG_LINE_CHARS);
    sent++;
  }
  assert.equal(sent, LOG_CHARS_BURST / MAX_LOG_LINE_CHARS);
  now += (1_000 * MAX_LOG_LINE_CHARS) / LOG_CHARS_PER_SECOND;
  assert.ok(rate.take());
  assert.match(rate.droppedNote() ?? "", /^flora: 1 log lines dropped .* KiB a second/);
});

Deno.test("CallGate keeps at most its limit in flight and starts the rest in order", () => {
  const gate = new CallGate(2);
  const started: number[] = [];
  for (let i = 0; i < 5; i++) gate.run(() => started.push(i));
  assert.deepEqual(started, [0, 1]);
  assert.equal(gate.waiting, 3);
  gate.done();
  assert.deepEqual(started, [0, 1, 2]);
  gate.done();
  gate.done();
  gate.done();
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(gate.inFlight, 1);
  gate.done();
  assert.equal(gate.inFlight, 0);
  assert.throws(() => new CallGate(0), RangeError);
});

Deno.test("CallGate lets characters through at its rate, in order, after a burst", async () => {
  let now = 0;
  const gate = new CallGate(10, 1_000, 100, () => now);
  const started: string[] = [];
  gate.run(() => started.push("a"), 60);
  gate.run(() => started.push("b"), 60); // 40 characters left: waits
  gate.run(() => started.push("c"), 10); // in order: behind b
  assert.deepEqual(started, ["a"]);
  now += 20; // 20 more characters earned: 60
  gate.done();
  assert.deepEqual(started, ["a", "b"]);
  now += 10;
  await new Promise((r) => setTimeout(r, 20)); // the gate's own wake-up
  assert.deepEqual(started, ["a", "b", "c"]);
  gate.run(() => started.push("huge"), 1_000); // counted as one burst at most
  assert.equal(gate.waiting, 1);
  now += 1_000;
  gate.done();
  assert.deepEqual(started, ["a", "b", "c", "huge"]);
});

Deno.test("jsonLengthAtLeast never exceeds JSON's length, and stops once past the most", () => {
  const values: unknown[] = [
    null,
    'a"b\\n',
    ["k", "é", 12, null, undefined, () => 1, { a: "xyz", b: [true, "q"] }],
    { when: new Date(0), bytes: new Uint8Array([1, 2, 3]), nested: { deep: ["x", ["y"]] } },
    Object.defineProperty({ plain: "v" }, "hidden", { value: "x".repeat(100), enumerable: false }),
    {
      get lazy() {
        return "x".repeat(50);
      },
    },
    [[], {}, [[]], ""],
  ];
  for (const value of values) {
    const least = jsonLengthAtLeast(value, Infinity);
    assert.ok(least <= JSON.stringify(value).length, `${least} for ${JSON.stringify(value)}`);
  }
  // A 20 MB string is refused on its length: the count stops at the first string past the most.
  const big = "x".repeat(20 * 1024 * 1024);
  assert.equal(
    jsonLengthAtLeast(["big", "k", big, big], MAX_CALL_CHARS),
    5 + 5 + 3 + big.length + 2, // brackets and commas, "big", "k", the first big
  );
  assert.ok(
    jsonLengthAtLeast(new Array(MAX_CALL_CHARS + 1).fill(0), MAX_CALL_CHARS) > MAX_CALL_CHARS,
  );
  // A cycle or a throwing proxy ends the count; JSON.stringify decides then.
  const cyclic: Record<string, unknown> = { s: "ab" };
  cyclic.self = cyclic;
  assert.equal(jsonLengthAtLeast(cyclic, MAX_CALL_CHARS), 4);
  const hostile = new Proxy({}, {
    ownKeys: () => {
      throw new Error("no");
    },
  });
  assert.equal(jsonLengthAtLeast(["a", hostile], MAX_CALL_CHARS), 3 + 3);
});
