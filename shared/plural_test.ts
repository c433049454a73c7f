import assert from "node:assert/strict";
import { count } from "./plural.ts";

Deno.test("count agrees the noun with the number", () => {
  assert.equal(count(1, "key"), "1 key");
  assert.equal(count(0, "key"), "0 keys");
  assert.equal(count(3, "entry", "entries"), "3 entries");
});
