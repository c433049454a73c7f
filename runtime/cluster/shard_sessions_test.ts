import assert from "node:assert/strict";
import { natsGate } from "../../storage/testing/servers.ts";
import { IdentifyGate, ShardSessionStore } from "./shard_sessions.ts";
import { ManualClock, natsTest, withNatsBucket } from "./testing.ts";

const gate = await natsGate();
const nats = natsTest(gate);

Deno.test({
  ...nats,
  name:
    `ShardSessionStore: the next holder reads the session; an earlier holder cannot overwrite it${gate.note}`,
  fn: () =>
    withNatsBucket(async (kv) => {
      const a = new ShardSessionStore(kv, "gw-a");
      const b = new ShardSessionStore(kv, "gw-b");
      assert.equal(await b.read(0, 4), null, "nothing stored yet");
      const session = { sessionId: "s1", resumeUrl: "ws://x", seq: 10 };
      assert.equal(await a.write(0, session, 4, 5), true);
      assert.equal(await a.write(0, { ...session, seq: 12 }, 4, 5), true);
      assert.deepEqual(await b.read(0, 4), { ...session, seq: 12 });
      assert.equal(await b.read(0, 8), null, "a session of another shard count is not resumed");

      // b took the shard (token 9) and wrote; a, paused past its lease, wakes and writes.
      assert.equal(await b.write(0, { ...session, seq: 15 }, 4, 9), true);
      assert.equal(await a.write(0, { ...session, seq: 13 }, 4, 5), false, "a is fenced");
      assert.deepEqual(await new ShardSessionStore(kv, "gw-c").read(0, 4), {
        ...session,
        seq: 15,
      });
      // Another shard is independent.
      assert.equal(await a.write(1, { ...session, sessionId: "s2" }, 4, 5), true);
    }),
});

Deno.test({
  ...nats,
  name:
    `ShardSessionStore: one holder's writes side by side all land, none reported lost${gate.note}`,
  fn: () =>
    withNatsBucket(async (kv) => {
      const a = new ShardSessionStore(kv, "gw-a");
      const session = { sessionId: "s1", resumeUrl: "ws://x", seq: 0 };
      assert.equal(await a.write(0, session, 4, 5), true);
      // As store rounds started on a timer while the last ones still wait on a slow bus.
      const writes = Array.from(
        { length: 12 },
        (_, i) => a.write(0, { ...session, seq: i + 1 }, 4, 5),
      );
      assert.deepEqual(await Promise.all(writes), Array(12).fill(true));
      assert.deepEqual(await new ShardSessionStore(kv, "gw-b").read(0, 4), {
        ...session,
        seq: 12,
      }, "the last one written wins");
    }),
});

Deno.test({
  ...nats,
  name: `IdentifyGate: one identify per bucket per interval across nodes${gate.note}`,
  fn: () =>
    withNatsBucket(async (kv) => {
      const clock = new ManualClock();
      const options = { intervalMs: 5_000, skewMs: 1_000, now: clock.now };
      const a = new IdentifyGate(kv, { ...options, holder: "gw-a" });
      const b = new IdentifyGate(kv, { ...options, holder: "gw-b" });
      assert.equal(await a.wait(0), true, "a free bucket is claimed at once");
      assert.equal(await b.wait(1), true, "another bucket is independent");
      // b wants bucket 0 too: it waits until a's slot is 6 s old, then claims.
      let claimed = false;
      const waiting = b.wait(0).then((ok) => (claimed = ok));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(claimed, false, "b waits while a's identify is recent");
      clock.advance(6_000);
      assert.equal(await waiting, true);
      // A wait whose identify is no longer wanted gives up without claiming.
      let wanted = true;
      const abandoned = a.wait(0, () => wanted);
      wanted = false;
      assert.equal(await abandoned, false);
    }),
});
