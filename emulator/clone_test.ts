import assert from "node:assert/strict";
import { cloneJson } from "./clone.ts";

Deno.test("cloneJson copies every level, so changing the copy leaves the original alone", () => {
  const original = {
    id: "1",
    author: { id: "2", flags: 0, avatar: null },
    mentions: [{ id: "3", member: { roles: ["4"] } }],
    tts: false,
    nonce: undefined,
  };
  const copy = cloneJson(original);
  assert.deepEqual(copy, original);
  assert.ok("nonce" in copy);
  copy.author.flags = 1;
  copy.mentions[0].member.roles.push("5");
  copy.mentions.push({ id: "6", member: { roles: [] } });
  assert.equal(original.author.flags, 0);
  assert.deepEqual(original.mentions, [{ id: "3", member: { roles: ["4"] } }]);
});

Deno.test("cloneJson returns primitives as they are", () => {
  for (const value of ["text", 0, true, null, undefined]) assert.equal(cloneJson(value), value);
});
