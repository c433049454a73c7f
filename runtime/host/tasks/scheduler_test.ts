import assert from "node:assert/strict";
import { KvGuildKvStore } from "../../../storage/embedded/guild_kv.ts";
import type { Deployment } from "../../../storage/types.ts";
import { GuildTasks } from "./guild_tasks.ts";
import {
  NEXT_DUE_REFRESH_MS,
  nextDueRefreshMs,
  TaskScheduler,
  type TaskTarget,
} from "./scheduler.ts";

const T0 = Date.parse("2030-01-01T00:00:00Z");

/** Guilds with a deployment, and what was delivered to them. */
function target(active: string[]): TaskTarget & { delivered: [string, unknown][] } {
  const delivered: [string, unknown][] = [];
  return {
    delivered,
    activeGuilds: () => active,
    activeDeployment: (g) => active.includes(g) ? { id: `d-${g}` } as Deployment : undefined,
    deliver(guildId, name, payload) {
      delivered.push([guildId, { name, payload }]);
      return true;
    },
  };
}

async function withScheduler(
  fn: (make: () => TaskScheduler, logs: string[]) => Promise<void>,
): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  const logs: string[] = [];
  try {
    await fn(() => {
      const scheduler = new TaskScheduler(
        new GuildTasks(new KvGuildKvStore(kv), { leaseMs: 1_000, maxAttempts: 2 }),
        (g, level, message) => logs.push(`${g} ${level} ${message}`),
      );
      scheduler.now = () => T0;
      return scheduler;
    }, logs);
  } finally {
    kv.close();
  }
}

Deno.test("TaskScheduler delivers a due task as a `task` event to its own guild only", () =>
  withScheduler(async (make) => {
    const scheduler = make();
    const to = target(["1", "2"]);
    scheduler.attach(to);
    const task = await scheduler.schedule("1", { name: "remind", inMs: 5_000, payload: "hi" });
    assert.equal(task.scheduledAt, new Date(T0 + 5_000).toISOString());
    assert.deepEqual(await scheduler.tick(new Date(T0 + 4_999)), []);
    const fired = await scheduler.tick(new Date(T0 + 5_000));
    assert.deepEqual(fired.map((f) => [f.guildId, f.task.id, f.task.attempt]), [["1", task.id, 1]]);
    assert.deepEqual(to.delivered, [["1", {
      name: "task",
      payload: { ...task, attempt: 1 },
    }]]);
  }));

Deno.test("TaskScheduler fires an unconfirmed task again (same id), across a restart, then drops it", () =>
  withScheduler(async (make, logs) => {
    const first = make();
    first.attach(target(["1"]));
    const task = await first.schedule("1", { name: "a", at: T0, payload: null });
    assert.equal((await first.tick(new Date(T0))).length, 1);
    // The host restarts before the handler confirmed: a new scheduler on the same storage.
    const second = make();
    second.attach(target(["1"]));
    assert.deepEqual(await second.tick(new Date(T0 + 500)), [], "still leased");
    const again = await second.tick(new Date(T0 + 1_000));
    assert.deepEqual(again.map((f) => [f.task.id, f.task.attempt]), [[task.id, 2]]);
    assert.deepEqual(await second.tick(new Date(T0 + 2_000)), []);
    assert.match(
      logs.join("\n"),
      /task "a" \(\w+\) was dropped: its handler did not finish in 2 attempts/,
    );
  }));

Deno.test("TaskScheduler does not fire a confirmed task, nor tasks of a guild without a deployment", () =>
  withScheduler(async (make) => {
    const scheduler = make();
    const to = target(["1"]);
    scheduler.attach(to);
    const done = await scheduler.schedule("1", { name: "a", at: T0, payload: null });
    await scheduler.schedule("9", { name: "a", at: T0, payload: null });
    await scheduler.tick(new Date(T0));
    assert.equal(await scheduler.complete("1", done.id), true);
    assert.deepEqual(await scheduler.tick(new Date(T0 + 10_000)), []);
    assert.equal(to.delivered.length, 1);
    assert.equal((await scheduler.list("9", {})).tasks.length, 1, "kept for when it deploys");
  }));

Deno.test("TaskScheduler fires only the tasks of guilds this node owns (a cluster)", () =>
  withScheduler(async (make) => {
    const scheduler = make();
    const to = target(["1", "2"]);
    scheduler.attach(to, (guildId) => guildId === "1");
    await scheduler.schedule("1", { name: "a", at: T0, payload: null });
    await scheduler.schedule("2", { name: "a", at: T0, payload: null });
    const fired = await scheduler.tick(new Date(T0));
    assert.deepEqual(fired.map((f) => f.guildId), ["1"]);
    assert.equal((await scheduler.list("2", {})).tasks[0].attempt, 0, "left for its owner");
  }));

Deno.test("TaskScheduler finds a task another node scheduled once the guild's read ages", () =>
  withScheduler(async (make) => {
    const scheduler = make();
    let clock = 0;
    scheduler.readClock = () => clock;
    scheduler.attach(target(["1"]));
    assert.deepEqual(await scheduler.tick(new Date(T0)), [], "read now: no tasks");
    // Written by another node (the guild was its for a while): this node's read still stands.
    await scheduler.tasks.schedule("1", { name: "late", dueAt: T0, payload: null }, T0);
    clock = nextDueRefreshMs("1") - 1;
    assert.deepEqual(await scheduler.tick(new Date(T0)), []);
    clock = nextDueRefreshMs("1");
    const fired = await scheduler.tick(new Date(T0));
    assert.deepEqual(fired.map((f) => f.task.name), ["late"]);
  }));

Deno.test("nextDueRefreshMs keeps each guild's period and spreads guilds over the ticks", () => {
  assert.equal(nextDueRefreshMs("81384788765712384"), nextDueRefreshMs("81384788765712384"));
  // 1,000 consecutive snowflakes, all read in one tick: their re-reads, second by second.
  const perSecond = new Map<number, number>();
  for (let i = 0n; i < 1_000n; i++) {
    const ms = nextDueRefreshMs(String(1180000000000000000n + i));
    assert.ok(ms >= NEXT_DUE_REFRESH_MS / 2 && ms < NEXT_DUE_REFRESH_MS * 1.5, `${ms}`);
    const second = Math.floor(ms / 1_000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  // An even spread is 1,000 / 30 ≈ 33 a second; one period for all was 1,000 in one.
  assert.ok(perSecond.size >= 29, `${perSecond.size} seconds`);
  assert.ok(Math.max(...perSecond.values()) <= 66, `${Math.max(...perSecond.values())} at most`);
});
