import assert from "node:assert/strict";
import type { WorkerKey } from "../sandbox/protocol/mod.ts";
import { Guild } from "./guild_state.ts";
import type { GuildWorker } from "./guild_worker.ts";
import { testDeployment } from "./test_fixtures.ts";
import { WorkerLifecycle, type WorkerPool } from "./worker_lifecycle.ts";

/** A lifecycle over one guild, recording what it asks of the pool and the manager. */
function lifecycle() {
  const guild = new Guild("g", 10);
  const spawned: string[] = [];
  const terminated: string[] = [];
  const pumped: number[] = [];
  const resident = new Set<string>();
  const pool: WorkerPool = {
    indexOf: () => 0,
    spawn: (key: WorkerKey) => (spawned.push(key.deploymentId), Promise.resolve()),
    terminate: (key: WorkerKey) => (terminated.push(key.deploymentId), Promise.resolve()),
  };
  const workers: WorkerLifecycle = new WorkerLifecycle({
    pool: () => pool,
    guild: (id) => id === guild.id ? guild : undefined,
    ensureGuild: () => guild,
    pump: () => pumped.push(1),
    serveOnceLoaded: (_guild, worker: GuildWorker) => worker.loaded.then(() => worker.serve()),
    switched: () => {},
    forgetInflight: (worker) => worker.inflight.clear(),
    resident: {
      touch: (id) => resident.add(id),
      remove: (id) => resident.delete(id),
      check: () => {},
    },
  }, 10_000);
  return { guild, workers, spawned, terminated, pumped, resident };
}

function loaded(workers: WorkerLifecycle, deploymentId: string): GuildWorker {
  const worker = workers.worker({ guildId: "g", deploymentId })!;
  worker.markLoaded([]);
  return worker;
}

Deno.test("WorkerLifecycle.load holds the guild's queue until the switch, then serves", async () => {
  const { guild, workers, spawned, resident } = lifecycle();
  const d1 = testDeployment("g", "d1", "");
  const commands = workers.load(d1);
  assert.deepEqual(spawned, ["d1"]);
  assert.equal(guild.holds, 1, "a deploy's candidate holds the queue: nothing cold-starts");
  const worker = loaded(workers, "d1");
  assert.deepEqual(await commands, []);
  assert.equal(worker.state, "candidate");
  workers.activate(d1);
  assert.equal(guild.holds, 0);
  assert.equal(guild.worker, worker);
  assert.equal(worker.state, "serving");
  assert.ok(resident.has("g"));
});

Deno.test("WorkerLifecycle.activate retires the replaced worker until its events finish", () => {
  const { guild, workers, terminated } = lifecycle();
  const d1 = testDeployment("g", "d1", "");
  const d2 = testDeployment("g", "d2", "");
  workers.load(d1);
  const old = loaded(workers, "d1");
  workers.activate(d1);
  old.inflight.set(1, { name: "messageCreate", payload: {}, receivedAt: 0 });
  workers.load(d2);
  loaded(workers, "d2");
  workers.activate(d2);
  assert.equal(old.state, "retiring", "it still has an event in flight");
  assert.deepEqual(terminated, []);
  workers.stop(old);
  assert.equal(old.state, "stopped");
  assert.deepEqual(terminated, ["d1"]);
  assert.equal(guild.worker?.key.deploymentId, "d2", "stopping the retired worker leaves the new");
  workers.stop(guild.worker!);
});

Deno.test("WorkerLifecycle.failLoad releases a deploy's hold and pumps the guild", async () => {
  const { guild, workers, pumped, terminated } = lifecycle();
  const loading = workers.load(testDeployment("g", "d1", ""));
  workers.failLoad(workers.worker({ guildId: "g", deploymentId: "d1" })!, "SyntaxError");
  await assert.rejects(loading, /SyntaxError/);
  assert.equal(guild.holds, 0);
  assert.equal(pumped.length, 1, "the running version (or a cold start) takes the queue");
  assert.deepEqual(terminated, ["d1"]);
  assert.equal(workers.worker({ guildId: "g", deploymentId: "d1" }), undefined);
});

Deno.test("WorkerLifecycle.discard stops a candidate but never the serving worker", () => {
  const { guild, workers } = lifecycle();
  const d1 = testDeployment("g", "d1", "");
  workers.load(d1);
  loaded(workers, "d1");
  workers.activate(d1);
  workers.discard(d1);
  assert.equal(guild.worker?.state, "serving", "d1 serves: discard leaves it");
  const d2 = testDeployment("g", "d2", "");
  workers.load(d2);
  const candidate = loaded(workers, "d2");
  workers.discard(d2);
  assert.equal(candidate.state, "stopped");
  assert.equal(guild.holds, 0);
  workers.stop(guild.worker!);
});
