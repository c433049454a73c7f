import assert from "node:assert/strict";
import { envelopeSlope, leastSquaresSlope } from "./slope.ts";

Deno.test("leastSquaresSlope() fits a line through the points", () => {
  assert.equal(leastSquaresSlope([[0, 1], [1, 3], [2, 5]]), 2);
  assert.equal(leastSquaresSlope([[1, 4]]), 0);
});

Deno.test("envelopeSlope() is flat for a saw-tooth and follows a rising curve", () => {
  const saw = Array.from({ length: 60 }, (_, i): [number, number] => [i, 400 + (i % 10) * 5]);
  // Runs longer than a tooth: ending mid-tooth does not matter, each run's peak is a full tooth's.
  assert.equal(envelopeSlope(saw.slice(0, 57), 3), 0);
  assert.equal(envelopeSlope(saw.slice(4, 60), 3), 0);
  const rising = Array.from({ length: 30 }, (_, i): [number, number] => [i, 2 * i]);
  assert.equal(envelopeSlope(rising, 3), 2);
  assert.throws(() => envelopeSlope(rising, 1), RangeError);
});
