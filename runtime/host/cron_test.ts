import assert from "node:assert/strict";
import { KvGuildKvStore } from "../../storage/embedded/guild_kv.ts";
import type { Deployment } from "../../storage/types.ts";
import { PROTOCOL_VERSION, type ScriptEventName } from "../sandbox/protocol/mod.ts";
import { CRON_STORE, CronScheduler, type CronTarget } from "./cron.ts";

const GUILD = "100000000000000001";

function deployment(id: string): Deployment {
  return {
    id,
    guildId: GUILD,
    revision: 1,
    status: "active",
    createdBy: "t",
    createdAt: "",
    updatedAt: "",
    bundle: { entry: "main.ts", code: "" },
  };
}

/** One guild whose active deployment the test switches; records what was delivered. */
class Target implements CronTarget {
  active: Deployment | undefined;
  delivered: { name: ScriptEventName; payload: { name: string; scheduledAt: string } }[] = [];
  activeGuilds = () => (this.active ? [GUILD] : []);
  activeDeployment = () => this.active;
  deliver(_guildId: string, name: ScriptEventName, payload: unknown): boolean {
    this.delivered.push({ name, payload: payload as { name: string; scheduledAt: string } });
    return true;
  }
}

async function withScheduler(
  fn: (s: CronScheduler, t: Target, store: KvGuildKvStore) => Promise<void>,
) {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new KvGuildKvStore(kv);
    const target = new Target();
    await fn(new CronScheduler(store, target, () => {}), target, store);
  } finally {
    kv.close();
  }
}

const loaded = (crons: { name: string; schedule: string }[]) => ({
  v: PROTOCOL_VERSION,
  type: "loaded" as const,
  commands: [],
  crons: crons.map((c) => ({ ...c, skipIfRunning: false })),
});

Deno.test("jobs arm on first sight, fire when due, and a missed stretch fires once", async () => {
  await withScheduler(async (scheduler, target) => {
    const d = deployment("01A");
    scheduler.onLoaded(d, loaded([{ name: "q", schedule: "*/15 * * * *" }]));
    target.active = d;
    assert.deepEqual(await scheduler.tick(new Date("2030-01-01T00:01:00Z")), []);
    assert.deepEqual(await scheduler.tick(new Date("2030-01-01T00:14:59Z")), []);
    assert.equal((await scheduler.tick(new Date("2030-01-01T00:15:00Z"))).length, 1);
    assert.equal((await scheduler.tick(new Date("2030-01-01T02:07:00Z"))).length, 1);
    assert.deepEqual(target.delivered.map((x) => [x.name, x.payload.scheduledAt]), [
      ["cron", "2030-01-01T00:15:00.000Z"],
      ["cron", "2030-01-01T02:00:00.000Z"],
    ]);
  });
});

Deno.test("a changed schedule re-arms; a new deployment's leftovers of the old one are pruned", async () => {
  await withScheduler(async (scheduler, target, store) => {
    const first = deployment("01A");
    scheduler.onLoaded(
      first,
      loaded([{ name: "a", schedule: "0 * * * *" }, { name: "b", schedule: "0 0 * * *" }]),
    );
    target.active = first;
    await scheduler.tick(new Date("2030-01-01T00:30:00Z"));
    const second = deployment("01B");
    scheduler.onLoaded(second, loaded([{ name: "a", schedule: "30 * * * *" }]));
    target.active = second;
    // The new schedule counts from now: 01:30, not the old 01:00.
    assert.deepEqual(await scheduler.tick(new Date("2030-01-01T01:00:00Z")), []);
    assert.equal((await scheduler.tick(new Date("2030-01-01T01:30:00Z"))).length, 1);
    const keys = (await store.list(GUILD, CRON_STORE)).entries.map((e) => e.key).sort();
    assert.deepEqual(keys, ["deployment:01B", "job:a"]);
  });
});

Deno.test("a script without cron jobs leaves no flora.cron store, even after one that had some", async () => {
  await withScheduler(async (scheduler, target, store) => {
    const none = deployment("01A");
    scheduler.onLoaded(none, loaded([]));
    target.active = none;
    await scheduler.tick(new Date("2030-01-01T00:01:00Z"));
    assert.deepEqual(await store.stores(GUILD), []);

    const some = deployment("01B");
    scheduler.onLoaded(some, loaded([{ name: "q", schedule: "*/15 * * * *" }]));
    target.active = some;
    await scheduler.tick(new Date("2030-01-01T00:02:00Z"));
    assert.deepEqual(await store.stores(GUILD), [CRON_STORE]);

    const again = deployment("01C");
    scheduler.onLoaded(again, loaded([]));
    target.active = again;
    await scheduler.tick(new Date("2030-01-01T00:03:00Z"));
    assert.deepEqual(await store.stores(GUILD), []);
  });
});

Deno.test("two nodes' schedulers on one store fire each due run once, only for guilds they own", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new KvGuildKvStore(kv);
    const owner = { a: true, b: true };
    const nodes = (["a", "b"] as const).map((name) => {
      const target = new Target();
      const scheduler = new CronScheduler(store, target, () => {}, { owns: () => owner[name] });
      return { scheduler, target };
    });
    const d = deployment("01A");
    for (const { scheduler, target } of nodes) {
      scheduler.onLoaded(d, loaded([{ name: "q", schedule: "*/15 * * * *" }]));
      target.active = d;
    }
    const tickBoth = (at: string) =>
      Promise.all(nodes.map(({ scheduler }) => scheduler.tick(new Date(at))));
    await tickBoth("2030-01-01T00:01:00Z"); // both arm the job; one write wins
    await tickBoth("2030-01-01T00:15:00Z");
    await tickBoth("2030-01-01T00:30:00Z");
    const fired = nodes.flatMap(({ target }) => target.delivered.map((x) => x.payload.scheduledAt));
    assert.deepEqual(fired.sort(), ["2030-01-01T00:15:00.000Z", "2030-01-01T00:30:00.000Z"]);

    // Ownership moves to b alone (a's partition was taken over): only b fires the next run.
    owner.a = false;
    await tickBoth("2030-01-01T00:45:00Z");
    const all = nodes.flatMap(({ target }) => target.delivered.map((x) => x.payload.scheduledAt));
    assert.equal(all.filter((at) => at === "2030-01-01T00:45:00.000Z").length, 1);
    assert.equal(nodes[1].target.delivered.at(-1)?.payload.scheduledAt, "2030-01-01T00:45:00.000Z");
  } finally {
    kv.close();
  }
});
