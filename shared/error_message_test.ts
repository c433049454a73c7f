import assert from "node:assert/strict";
import { errorMessage } from "./error_message.ts";

Deno.test("errorMessage gives an Error's message and anything else as a string", () => {
  assert.equal(errorMessage(new TypeError("bad input")), "bad input");
  assert.equal(errorMessage("timeout"), "timeout");
  assert.equal(errorMessage(42), "42");
  assert.equal(errorMessage(undefined), "undefined");
});
