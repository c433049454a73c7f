import assert from "node:assert/strict";
import { GuildWorker } from "./guild_worker.ts";
import { testDeployment } from "./test_fixtures.ts";
import { WorkerMoves } from "./worker_moves.ts";

function moves(workers: GuildWorker[], moved: GuildWorker[]): WorkerMoves {
  return new WorkerMoves({
    worker: (key) => workers.find((w) => w.key.deploymentId === key.deploymentId),
    move: (w) => moved.push(w),
    forget: () => {},
  });
}

function worker(id: string): GuildWorker {
  const deployment = testDeployment("100000000000000001", id, "");
  return new GuildWorker({ guildId: deployment.guildId, deploymentId: id }, deployment, 0, {
    holdsQueue: false,
  });
}

const event = { name: "messageCreate" as const, payload: {}, receivedAt: 0 };

Deno.test("WorkerMoves moves an idle serving worker at once", () => {
  const moved: GuildWorker[] = [];
  const w = worker("d1");
  const m = moves([w], moved);
  w.markLoaded([]);
  w.serve();
  m.request([w.key]);
  assert.deepEqual(moved, [w]);
  m.settle(w); // already gone: not moved twice
  assert.equal(moved.length, 1);
});

Deno.test("WorkerMoves waits for a busy worker's events, then moves it once", () => {
  const moved: GuildWorker[] = [];
  const w = worker("d1");
  const m = moves([w], moved);
  w.markLoaded([]);
  w.serve();
  w.inflight.set(1, event);
  m.request([w.key]);
  m.request([w.key]); // asked again by the next round: still one pending move
  assert.deepEqual(moved, []);
  w.inflight.delete(1);
  m.settle(w);
  m.settle(w);
  assert.deepEqual(moved, [w]);
});

Deno.test("WorkerMoves leaves a loading worker until it serves, and forgets a stopped one", () => {
  const moved: GuildWorker[] = [];
  const loading = worker("d1");
  const stopped = worker("d2");
  const m = moves([loading, stopped], moved);
  m.request([loading.key, stopped.key]);
  assert.deepEqual(moved, []);
  loading.markLoaded([]);
  m.settle(loading); // a candidate: not serving yet
  assert.deepEqual(moved, []);
  loading.serve();
  m.settle(loading);
  assert.deepEqual(moved, [loading]);
  stopped.stop();
  m.settle(stopped);
  stopped.inflight.clear();
  m.settle(stopped);
  assert.deepEqual(moved, [loading]);
});

Deno.test("WorkerMoves lets the pool forget a key no live worker has", () => {
  const forgotten: string[] = [];
  const m = new WorkerMoves({
    worker: () => undefined,
    move: () => assert.fail("nothing to move"),
    forget: (key) => forgotten.push(key.deploymentId),
  });
  m.request([{ guildId: "100000000000000001", deploymentId: "gone" }]);
  assert.deepEqual(forgotten, ["gone"]);
});
