import assert from "node:assert/strict";
import { eventsDone, PROTOCOL_VERSION, startedAtOf } from "./mod.ts";

const key = { guildId: "100000000000000001", deploymentId: "d1" };

Deno.test("eventsDone reports starts as whole µs after the first, and counts errors", () => {
  const done = eventsDone(
    key,
    [7, 8, 9],
    [{ startedAt: 1_000.25 }, { startedAt: 1_000.2504, error: "boom" }, { startedAt: 1_003 }],
    42.5,
  );
  assert.deepEqual(done, {
    v: PROTOCOL_VERSION,
    type: "eventsDone",
    ...key,
    ids: [7, 8, 9],
    startedAt: 1_000.25,
    startedUs: [0, 0, 2_750],
    errors: 1,
    cpuMs: 42.5,
  });
  // What crosses the link is what the host reads back.
  const read = JSON.parse(JSON.stringify(done));
  assert.deepEqual([0, 1, 2].map((i) => startedAtOf(read, i)), [1_000.25, 1_000.25, 1_003]);
});

Deno.test("eventsDone keeps no start a worker did not give as a finite number", () => {
  const done = eventsDone(key, [1, 2, 3, 4], [
    {},
    { startedAt: "soon" },
    { startedAt: 5_000 },
    { startedAt: Infinity, error: null },
  ], undefined);
  assert.deepEqual(done.startedUs, [null, null, 0, null]);
  assert.equal(done.errors, 1, "any error field counts as a handler that threw");
  assert.equal("cpuMs" in done, false);
  const read = JSON.parse(JSON.stringify(done));
  assert.deepEqual([0, 1, 2, 3].map((i) => startedAtOf(read, i)), [
    undefined,
    undefined,
    5_000,
    undefined,
  ]);
  const none = eventsDone(key, [5], [{ startedAt: 1e308 * 10 }], 1);
  assert.equal("startedAt" in none || "startedUs" in none, false);
  assert.equal(startedAtOf(none, 0), undefined);
});
