import assert from "node:assert/strict";
import { KvDeploymentStore } from "../../storage/embedded/deployments.ts";
import {
  INTERRUPTED_LOADING,
  INTERRUPTED_SUPERSEDED,
  InterruptedDeploySweeper,
  sweepInterruptedDeploys,
} from "./deploy_recovery.ts";

const bundle = { entry: "main.ts", code: "createBot({})" };

async function withStore(fn: (store: KvDeploymentStore) => Promise<void>) {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(new KvDeploymentStore(kv));
  } finally {
    kv.close();
  }
}

const COMMANDS = [{ name: "ping", description: "Pong" }];

Deno.test("sweepInterruptedDeploys fails a deploy whose lease ran out before its script loaded", async () => {
  await withStore(async (store) => {
    const live = await store.create({ guildId: "g", createdBy: "t", bundle });
    await store.setStatus(live.id, "active");
    const orphan = await store.create({ guildId: "g", createdBy: "t", bundle });
    await store.recordProgress(orphan.id, { leaseUntil: new Date(Date.now() - 1) });
    const result = await sweepInterruptedDeploys(store);
    assert.deepEqual(result.failed.map((d) => [d.id, d.status, d.error]), [
      [orphan.id, "failed", INTERRUPTED_LOADING],
    ]);
    assert.equal((await store.current("g"))?.id, live.id, "the live deployment keeps serving");
    assert.equal(result.nextInMs, null);
  });
});

Deno.test("sweepInterruptedDeploys finishes a deploy that recorded its commands (it was switching)", async () => {
  await withStore(async (store) => {
    const live = await store.create({ guildId: "g", createdBy: "t", bundle });
    await store.setStatus(live.id, "active");
    const orphan = await store.create({ guildId: "g", createdBy: "t", bundle });
    await store.recordProgress(orphan.id, { leaseUntil: new Date(0), commands: COMMANDS });
    const result = await sweepInterruptedDeploys(store);
    assert.deepEqual(result.finished.map((d) => [d.id, d.status]), [[orphan.id, "active"]]);
    assert.equal((await store.get(live.id))?.status, "superseded");
  });
});

Deno.test("sweepInterruptedDeploys fails a switching deploy that a newer live revision overtook", async () => {
  await withStore(async (store) => {
    const orphan = await store.create({ guildId: "g", createdBy: "t", bundle });
    await store.recordProgress(orphan.id, { leaseUntil: new Date(0), commands: COMMANDS });
    const newer = await store.create({ guildId: "g", createdBy: "t", bundle });
    await store.setStatus(newer.id, "active");
    const result = await sweepInterruptedDeploys(store);
    assert.deepEqual(result.failed.map((d) => d.error), [INTERRUPTED_SUPERSEDED]);
    assert.equal((await store.current("g"))?.id, newer.id);
  });
});

Deno.test("sweepInterruptedDeploys leaves a leased deploy alone and says when to look again", async () => {
  await withStore(async (store) => {
    const held = await store.create({ guildId: "g", createdBy: "t", bundle });
    await store.recordProgress(held.id, { leaseUntil: new Date(Date.now() + 20_000) });
    // Never renewed: its lease counts from its creation.
    const fresh = await store.create({ guildId: "h", createdBy: "t", bundle });
    const result = await sweepInterruptedDeploys(store, { leaseMs: 10_000 });
    assert.deepEqual([result.finished, result.failed], [[], []]);
    assert.ok(result.nextInMs! > 5_000 && result.nextInMs! <= 10_000, `${result.nextInMs}`);
    assert.equal((await store.get(fresh.id))?.status, "pending");
    const later = await sweepInterruptedDeploys(store, {
      leaseMs: 10_000,
      now: Date.now() + 30_000,
    });
    assert.deepEqual(later.failed.map((d) => d.id).sort(), [held.id, fresh.id].sort());
  });
});

Deno.test("InterruptedDeploySweeper sweeps again once a held lease runs out", async () => {
  await withStore(async (store) => {
    const held = await store.create({ guildId: "g", createdBy: "t", bundle });
    await store.recordProgress(held.id, { leaseUntil: new Date(Date.now() + 300) });
    const failed: string[] = [];
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => settle = resolve);
    const sweeper = new InterruptedDeploySweeper(store, 1_000, {
      finished: () => {},
      failed: (d) => {
        failed.push(d.id);
        settle();
      },
      error: (error) => {
        throw error;
      },
    });
    try {
      const first = await sweeper.start();
      assert.deepEqual(first?.failed, []);
      await settled;
      assert.deepEqual(failed, [held.id]);
    } finally {
      sweeper.close();
    }
  });
});
