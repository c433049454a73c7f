/** Resolving a node's start once its shards connect, not after Discordeno's identify spacing. */
import assert from "node:assert/strict";
import { ShardState } from "@discordeno/bot";
import { type ShardRoster, shardsConnected } from "./shards_connected.ts";

function roster(
  states: ShardState[],
): ShardRoster & { shards: Map<number, { state: ShardState }> } {
  return {
    firstShardId: 0,
    lastShardId: states.length - 1,
    shards: new Map(states.map((state, id) => [id, { state }])),
  };
}

/** A start that never settles unless told to (Discordeno's, still holding the bucket). */
function pendingStart() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

Deno.test("shardsConnected() resolves once every shard is connected, before the start settles", async () => {
  const shards = roster([ShardState.Connected, ShardState.Identifying]);
  const start = pendingStart();
  let ready = false;
  const waiting = shardsConnected(shards, start.promise, () => {}).then(() => ready = true);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(ready, false, "one shard still identifying");
  shards.shards.get(1)!.state = ShardState.Connected;
  await waiting;
  assert.deepEqual(ready, true);
  start.resolve();
});

Deno.test("shardsConnected() waits for a shard the manager has not created yet", async () => {
  const shards = roster([ShardState.Connected]);
  shards.lastShardId = 1; // shard 1 is not in the map yet
  const start = pendingStart();
  let ready = false;
  const waiting = shardsConnected(shards, start.promise, () => {}).then(() => ready = true);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(ready, false);
  shards.shards.set(1, { state: ShardState.Connected });
  await waiting;
  start.resolve();
});

Deno.test("shardsConnected() passes on a start that fails first, and reports one that fails later", async () => {
  const failing = pendingStart();
  const first = shardsConnected(roster([ShardState.Offline]), failing.promise, () => {});
  failing.reject(new Error("gateway refused"));
  await assert.rejects(first, /gateway refused/);

  const late = pendingStart();
  const lateErrors: unknown[] = [];
  await shardsConnected(roster([ShardState.Connected]), late.promise, (e) => lateErrors.push(e));
  late.reject(new Error("after ready"));
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(lateErrors.map((e) => (e as Error).message), ["after ready"]);
});

Deno.test("shardsConnected() resolves when the start settles even if no shard reads as connected", async () => {
  const start = pendingStart();
  const waiting = shardsConnected(roster([ShardState.Resuming]), start.promise, () => {});
  start.resolve();
  await waiting;
});
