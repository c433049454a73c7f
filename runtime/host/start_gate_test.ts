import assert from "node:assert/strict";
import { StartGate } from "./start_gate.ts";

Deno.test("starts beyond the limit wait in arrival order, each once", () => {
  const gate = new StartGate<string>(2);
  assert.equal(gate.tryEnter("a"), true);
  assert.equal(gate.tryEnter("b"), true);
  assert.equal(gate.tryEnter("c"), false);
  assert.equal(gate.tryEnter("d"), false);
  assert.equal(gate.tryEnter("c"), false, "asking again does not queue twice");
  assert.equal(gate.waiting, 2);
  assert.equal(gate.open, false);
  gate.leave();
  assert.equal(gate.open, true);
  assert.equal(gate.nextWaiting(), "c");
  assert.equal(gate.tryEnter("c"), true);
  assert.equal(gate.nextWaiting(), "d");
  assert.equal(gate.nextWaiting(), undefined);
  assert.equal(gate.running, 2);
  assert.throws(() => new StartGate(0), /whole number ≥ 1/);
});
