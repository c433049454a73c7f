import assert from "node:assert/strict";
import { parseArgs } from "./args.ts";

Deno.test("parseArgs splits on whitespace and keeps quoted strings together", () => {
  assert.deepEqual(parseArgs(`add "two words" three`), ["add", "two words", "three"]);
  assert.deepEqual(parseArgs(`  a   b  `), ["a", "b"]);
  assert.deepEqual(parseArgs(`say 'it''s'`), ["say", "its"]);
  assert.deepEqual(parseArgs(`x ""`), ["x", ""]);
  assert.deepEqual(parseArgs(`esc\\ aped "q\\"uote"`), ["esc aped", 'q"uote']);
  assert.deepEqual(parseArgs(``), []);
});

Deno.test("parseArgs keeps an unterminated quote's text as the last argument", () => {
  assert.deepEqual(parseArgs(`tag "open ended`), ["tag", "open ended"]);
});
