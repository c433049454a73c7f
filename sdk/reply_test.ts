import assert from "node:assert/strict";
import { EPHEMERAL, toMessageBody } from "./reply.ts";

Deno.test("toMessageBody turns strings and options into Discord's body", () => {
  assert.deepEqual(toMessageBody("hi"), { content: "hi" });
  assert.deepEqual(
    toMessageBody({ content: "x", ephemeral: true, allowedMentions: { parse: [] } }),
    { content: "x", flags: EPHEMERAL, allowed_mentions: { parse: [] } },
  );
  assert.deepEqual(toMessageBody({ embeds: [{ title: "t" }], flags: 4 }), {
    embeds: [{ title: "t" }],
    flags: 4,
  });
});

Deno.test("toMessageBody refuses empty and oversized replies with a clear error", () => {
  assert.throws(() => toMessageBody({}), /needs content, embeds or components/);
  assert.throws(
    () => toMessageBody("x".repeat(2001)),
    /2001 characters; Discord allows at most 2000/,
  );
});
