import assert from "node:assert/strict";
import { GuildWorker } from "./guild_worker.ts";
import { testDeployment } from "./test_fixtures.ts";
import { WorkerMoves } from "./worker_moves.ts";

function worker(id: string): GuildWorker {
  const deployment = testDeployment("100000000000000001", id, "");
  return new GuildWorker({ guildId: deployment.guildId, deploymentId: id }, deployment, 0, {
    holdsQueue: false,
  });
}

const event = { name: "messageCreate" as const, payload: {}, receivedAt: 0 };

Deno.test("WorkerMoves moves an idle serving worker at once", () => {
  const moved: GuildWorker[] = [];
  const moves = new WorkerMoves({ move: (w) => moved.push(w) });
  const w = worker("d1");
  w.markLoaded([]);
  w.serve();
  moves.request([w]);
  assert.deepEqual(moved, [w]);
  moves.settle(w); // already gone: not moved twice
  assert.equal(moved.length, 1);
});

Deno.test("WorkerMoves waits for a busy worker's events, then moves it once", () => {
  const moved: GuildWorker[] = [];
  const moves = new WorkerMoves({ move: (w) => moved.push(w) });
  const w = worker("d1");
  w.markLoaded([]);
  w.serve();
  w.inflight.set(1, event);
  moves.request([w]);
  moves.request([w]); // asked again by the next round: still one pending move
  assert.deepEqual(moved, []);
  w.inflight.delete(1);
  moves.settle(w);
  moves.settle(w);
  assert.deepEqual(moved, [w]);
});

Deno.test("WorkerMoves leaves a loading worker until it serves, and forgets a stopped one", () => {
  const moved: GuildWorker[] = [];
  const moves = new WorkerMoves({ move: (w) => moved.push(w) });
  const loading = worker("d1");
  const stopped = worker("d2");
  moves.request([loading, stopped]);
  assert.deepEqual(moved, []);
  loading.markLoaded([]);
  moves.settle(loading); // a candidate: not serving yet
  assert.deepEqual(moved, []);
  loading.serve();
  moves.settle(loading);
  assert.deepEqual(moved, [loading]);
  stopped.stop();
  moves.settle(stopped);
  stopped.inflight.clear();
  moves.settle(stopped);
  assert.deepEqual(moved, [loading]);
});
