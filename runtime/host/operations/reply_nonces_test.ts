import assert from "node:assert/strict";
import { ReplyNonces, withReplyNonce } from "./reply_nonces.ts";

Deno.test("ReplyNonces numbers the replies to each message, forgetting the oldest past capacity", () => {
  const nonces = new ReplyNonces(2);
  assert.deepEqual([nonces.next("1"), nonces.next("1"), nonces.next("2")], ["1.0", "1.1", "2.0"]);
  nonces.next("3"); // "1" is the least recently used: forgotten
  assert.equal(nonces.next("1"), "1.0");
  assert.equal(nonces.next("3"), "3.1");
  assert.throws(() => new ReplyNonces(0), /capacity/);
});

Deno.test("withReplyNonce enforces a nonce on replies only, keeping the script's own", () => {
  const nonces = new ReplyNonces();
  const reply = { content: "hi", message_reference: { message_id: "12345678901234567890" } };
  assert.deepEqual(withReplyNonce(reply, nonces), {
    ...reply,
    nonce: "12345678901234567890.0",
    enforce_nonce: true,
  });
  assert.equal(withReplyNonce(reply, nonces).nonce, "12345678901234567890.1");
  const plain = { content: "hi" };
  assert.equal(withReplyNonce(plain, nonces), plain);
  const own = { ...reply, nonce: "mine" };
  assert.equal(withReplyNonce(own, nonces), own);
});
