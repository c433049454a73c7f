import assert from "node:assert/strict";
import { within } from "./within.ts";

Deno.test("within() is true for a promise settled in time, rejected ones included", async () => {
  assert.equal(await within(Promise.resolve(1), 60_000), true);
  assert.equal(await within(Promise.reject(new Error("no")), 60_000), true);
});

Deno.test("within() is false once the deadline passes with the promise unsettled", async () => {
  assert.equal(await within(new Promise(() => {}), 10), false);
});
