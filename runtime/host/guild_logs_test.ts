import assert from "node:assert/strict";
import { KvLogStore } from "../../storage/embedded/logs.ts";
import type { LogRecord } from "../../storage/types.ts";
import { StoredGuildLogs } from "./guild_logs.ts";

const GUILD = "100000000000000001";
const OTHER = "100000000000000002";

Deno.test("guild logs are stored, then fanned out to the guild's subscribers in order", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const echoed: LogRecord[] = [];
    const logs = new StoredGuildLogs(new KvLogStore(kv, { capacity: 5 }), (r) => echoed.push(r));
    const seen: LogRecord[] = [];
    const stop = logs.subscribe(GUILD, (r) => seen.push(r));
    const others: LogRecord[] = [];
    logs.subscribe(OTHER, (r) => others.push(r));
    for (let i = 0; i < 7; i++) logs.append(GUILD, i % 2 ? "warn" : "info", `line ${i}`);
    await logs.flush();
    assert.deepEqual(seen.map((r) => r.message), [0, 1, 2, 3, 4, 5, 6].map((i) => `line ${i}`));
    assert.deepEqual(others, []);
    assert.equal(echoed.length, 7);
    // The store is a ring: the last five remain, and `since` resumes after an id.
    const recent = await logs.recent(GUILD, 100);
    assert.deepEqual(recent.map((r) => r.message), [
      "line 2",
      "line 3",
      "line 4",
      "line 5",
      "line 6",
    ]);
    assert.deepEqual((await logs.since(GUILD, seen[4].id)).map((r) => r.message), [
      "line 5",
      "line 6",
    ]);
    stop();
    logs.append(GUILD, "error", "after unsubscribe");
    await logs.flush();
    assert.equal(seen.length, 7);
  } finally {
    kv.close();
  }
});
