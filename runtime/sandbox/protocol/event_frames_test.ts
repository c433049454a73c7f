import assert from "node:assert/strict";
import { attachFrames, eventPayload, framesOf } from "./event_frames.ts";
import type { EventMessage } from "./worker_messages.ts";

const frame = (d: unknown) => JSON.stringify({ t: "MESSAGE_CREATE", s: 7, op: 0, d });

Deno.test("a worker reads the payload from the frame's d, or the value sent", () => {
  const d = { id: "5", content: 'hi "there"', guild_id: "1" };
  assert.deepEqual(eventPayload({ id: 1, name: "messageCreate", frame: frame(d) }), d);
  assert.deepEqual(eventPayload({ id: 2, name: "ready", payload: { guildId: "1" } }), {
    guildId: "1",
  });
});

Deno.test("a batch goes as frames only when every event has one", () => {
  assert.deepEqual(framesOf([{ frame: "{}" }, { frame: "[]" }]), ["{}", "[]"]);
  assert.equal(framesOf([{ frame: "{}" }, {}]), null);
  assert.deepEqual(framesOf([]), []);
});

Deno.test("the process gives each event its frame, in order, or refuses a mismatch", () => {
  const events: EventMessage[] = [{ id: 1, name: "messageCreate" }, {
    id: 2,
    name: "messageCreate",
  }];
  assert.equal(attachFrames(events, [frame(1)]), false);
  assert.equal(attachFrames(events, [frame(1), frame(2)]), true);
  assert.deepEqual(events.map(eventPayload), [1, 2]);
  const plain: EventMessage[] = [{ id: 3, name: "ready", payload: {} }];
  assert.equal(attachFrames(plain, []), true);
  assert.equal(plain[0].frame, undefined);
});
