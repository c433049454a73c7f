import assert from "node:assert/strict";
import { Residency } from "./residency.ts";

Deno.test("the least recently used idle guilds go first when over the cap", () => {
  const r = new Residency({ maxResident: 3, idleMs: 1_000 });
  r.touch("a", 1);
  r.touch("b", 2);
  r.touch("c", 3);
  r.touch("a", 4); // a is now the most recent
  assert.deepEqual(r.overCap(() => false), []);
  assert.deepEqual(r.overCap(() => false, 1), ["b"]);
  assert.deepEqual(r.overCap((id) => id === "b", 1), ["c"], "a busy guild is skipped");
  assert.deepEqual(r.overCap(() => true, 1), [], "all busy: the cap is exceeded for now");
});

Deno.test("idle guilds are those unused for idleMs and not busy", () => {
  const r = new Residency({ maxResident: 10, idleMs: 100 });
  r.touch("a", 0);
  r.touch("b", 50);
  r.touch("c", 200);
  assert.deepEqual(r.idle(160, () => false), ["a", "b"]);
  assert.deepEqual(r.idle(160, (id) => id === "a"), ["b"]);
  r.remove("b");
  assert.deepEqual(r.idle(160, () => false), ["a"]);
  assert.equal(r.size, 2);
  assert.equal(r.has("b"), false);
});

Deno.test("limits are validated", () => {
  assert.throws(() => new Residency({ maxResident: 0, idleMs: 1 }), /maxResident/);
  assert.throws(() => new Residency({ maxResident: 1, idleMs: 0 }), /idleMs/);
});
