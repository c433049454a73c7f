import assert from "node:assert/strict";
import { KvGuildKvStore } from "../../../storage/embedded/guild_kv.ts";
import { StorageInputError } from "../../../storage/types.ts";
import { GuildTasks, type TaskLimits } from "./guild_tasks.ts";

const G = "111";
const OTHER = "222";
const T0 = Date.parse("2030-01-01T00:00:00Z");

async function withTasks(
  fn: (tasks: GuildTasks) => Promise<void>,
  limits: Partial<TaskLimits> = {},
): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(new GuildTasks(new KvGuildKvStore(kv), limits));
  } finally {
    kv.close();
  }
}

Deno.test("GuildTasks lists tasks in due order and claims only what is due", () =>
  withTasks(async (tasks) => {
    const late = await tasks.schedule(G, { name: "b", dueAt: T0 + 2_000, payload: 2 }, T0);
    const soon = await tasks.schedule(G, { name: "a", dueAt: T0 + 1_000, payload: { n: 1 } }, T0);
    assert.deepEqual((await tasks.list(G)).tasks.map((t) => t.id), [soon.id, late.id]);
    assert.equal(await tasks.nextDue(G), T0 + 1_000);
    assert.deepEqual((await tasks.claimDue(G, T0 + 999)).claimed, []);
    const { claimed } = await tasks.claimDue(G, T0 + 1_500);
    assert.deepEqual(claimed.map((t) => [t.id, t.attempt, t.payload]), [[soon.id, 1, { n: 1 }]]);
    assert.equal(claimed[0].scheduledAt, new Date(T0 + 1_000).toISOString());
  }));

Deno.test("GuildTasks fires a claimed task again after its lease unless it was completed", () =>
  withTasks(async (tasks) => {
    const task = await tasks.schedule(G, { name: "a", dueAt: T0, payload: null }, T0);
    assert.equal((await tasks.claimDue(G, T0)).claimed.length, 1);
    assert.deepEqual((await tasks.claimDue(G, T0 + 59_000)).claimed, [], "leased, not due");
    const again = (await tasks.claimDue(G, T0 + 60_000)).claimed;
    assert.deepEqual(again.map((t) => [t.id, t.attempt]), [[task.id, 2]]);
    assert.equal(await tasks.complete(G, task.id), true);
    assert.deepEqual((await tasks.claimDue(G, T0 + 10 * 60_000)).claimed, []);
    assert.equal(await tasks.nextDue(G), null);
  }, { leaseMs: 60_000 }));

Deno.test("GuildTasks drops a task whose handler never finished after maxAttempts", () =>
  withTasks(async (tasks) => {
    await tasks.schedule(G, { name: "a", dueAt: T0, payload: null }, T0);
    for (let i = 0; i < 2; i++) {
      assert.equal((await tasks.claimDue(G, T0 + i * 10)).claimed.length, 1);
    }
    const { claimed, dropped } = await tasks.claimDue(G, T0 + 100);
    assert.deepEqual([claimed.length, dropped.map((t) => t.attempt)], [0, [2]]);
    assert.deepEqual((await tasks.list(G)).tasks, []);
  }, { leaseMs: 10, maxAttempts: 2 }));

Deno.test("GuildTasks: scheduling the same key replaces; cancel by id or key", () =>
  withTasks(async (tasks) => {
    const first = await tasks.schedule(G, { name: "a", dueAt: T0 + 5, payload: 1, key: "k" }, T0);
    const second = await tasks.schedule(G, { name: "a", dueAt: T0 + 9, payload: 2, key: "k" }, T0);
    assert.deepEqual((await tasks.list(G)).tasks.map((t) => [t.id, t.payload]), [[second.id, 2]]);
    assert.equal(await tasks.get(G, { id: first.id }), null);
    assert.equal((await tasks.get(G, { key: "k" }))?.id, second.id);
    assert.equal(await tasks.cancel(G, { id: first.id }), false);
    assert.equal(await tasks.cancel(G, { key: "k" }), true);
    assert.equal(await tasks.cancel(G, { key: "k" }), false);
    const third = await tasks.schedule(G, { name: "a", dueAt: T0, payload: 3 }, T0);
    assert.equal(await tasks.cancel(G, { id: third.id }), true);
    assert.deepEqual((await tasks.list(G)).tasks, []);
  }));

Deno.test("GuildTasks enforces the count, payload and delay limits with what to change", () =>
  withTasks(async (tasks) => {
    await tasks.schedule(G, { name: "a", dueAt: T0, payload: null, key: "x" }, T0);
    await tasks.schedule(G, { name: "a", dueAt: T0, payload: null }, T0);
    await assert.rejects(
      () => tasks.schedule(G, { name: "a", dueAt: T0, payload: null }, T0),
      (e) => e instanceof StorageInputError && /2 pending tasks; the limit is 2/.test(e.message),
    );
    // Replacing a key does not add a task; another guild has its own count.
    await tasks.schedule(G, { name: "a", dueAt: T0, payload: 1, key: "x" }, T0);
    await tasks.schedule(OTHER, { name: "a", dueAt: T0, payload: null }, T0);
    await assert.rejects(
      () => tasks.schedule(OTHER, { name: "a", dueAt: T0, payload: "x".repeat(200) }, T0),
      /task payload is 202 bytes as JSON; the limit is 100/,
    );
    await assert.rejects(
      () => tasks.schedule(OTHER, { name: "a", dueAt: T0 + 2 * 86_400_000, payload: null }, T0),
      /at most 1 days ahead/,
    );
  }, { maxTasksPerGuild: 2, maxPayloadBytes: 100, maxDelayMs: 86_400_000 }));

Deno.test("GuildTasks keeps guilds apart", () =>
  withTasks(async (tasks) => {
    const mine = await tasks.schedule(G, { name: "a", dueAt: T0, payload: "mine", key: "k" }, T0);
    assert.equal(await tasks.get(OTHER, { id: mine.id }), null);
    assert.equal(await tasks.get(OTHER, { key: "k" }), null);
    assert.equal(await tasks.cancel(OTHER, { id: mine.id }), false);
    assert.equal(await tasks.complete(OTHER, mine.id), false);
    assert.deepEqual((await tasks.claimDue(OTHER, T0)).claimed, []);
    assert.deepEqual((await tasks.list(OTHER)).tasks, []);
    assert.equal((await tasks.get(G, { id: mine.id }))?.payload, "mine");
  }));

Deno.test("GuildTasks survive closing and reopening the database", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-tasks-" });
  try {
    let kv = await Deno.openKv(`${dir}/flora.kv`);
    const task = await new GuildTasks(new KvGuildKvStore(kv)).schedule(
      G,
      { name: "a", dueAt: T0, payload: { x: 1 } },
      T0,
    );
    kv.close();
    kv = await Deno.openKv(`${dir}/flora.kv`);
    try {
      const { claimed } = await new GuildTasks(new KvGuildKvStore(kv)).claimDue(G, T0);
      assert.deepEqual(claimed.map((t) => [t.id, t.payload]), [[task.id, { x: 1 }]]);
    } finally {
      kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
