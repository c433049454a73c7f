import assert from "node:assert/strict";
import { dispatchEvent } from "./gateway_node.ts";

Deno.test("dispatchEvent names a dispatch by session and sequence and files it under its guild", () => {
  const message = { op: 0, t: "MESSAGE_CREATE", s: 42, d: { id: "9", guild_id: "1" } };
  assert.deepEqual(dispatchEvent(message, 3, "abc"), {
    id: "abc:42",
    guildId: "1",
    shardId: 3,
    payload: message,
  });
  // A RESUME replays the same dispatch: same id, so the bus drops the copy.
  assert.equal(dispatchEvent({ ...message }, 3, "abc")?.id, "abc:42");
  // Guild dispatches carry the guild itself.
  const created = { op: 0, t: "GUILD_CREATE", s: 2, d: { id: "5" } };
  assert.equal(dispatchEvent(created, 0, "abc")?.guildId, "5");
});

Deno.test("dispatchEvent skips what no single guild owns", () => {
  assert.equal(dispatchEvent({ op: 0, t: "READY", s: 1, d: { guilds: [] } }, 0, "abc"), null);
  assert.equal(dispatchEvent({ op: 0, t: "MESSAGE_CREATE", s: 2, d: { id: "1" } }, 0, "abc"), null);
  assert.equal(dispatchEvent({ op: 11 }, 0, "abc"), null);
  const noSession = { op: 0, t: "MESSAGE_CREATE", s: 3, d: { guild_id: "1" } };
  assert.equal(dispatchEvent(noSession, 0, undefined), null);
});
