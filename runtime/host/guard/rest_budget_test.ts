import assert from "node:assert/strict";
import type { OperationName } from "../../sandbox/protocol/mod.ts";
import type { OperationExecutor } from "../sandboxes.ts";
import { GuildRestBudget, RestBudgetExceeded } from "./rest_budget.ts";

/** Runs calls until the test releases them, recording how many run at once. */
class HeldExecutor implements OperationExecutor {
  running = 0;
  maxRunning = 0;
  started: string[] = [];
  #release: (() => void)[] = [];
  execute(guildId: string, op: OperationName): Promise<unknown> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    this.started.push(`${guildId}:${op}`);
    return new Promise((resolve) => {
      this.#release.push(() => {
        this.running--;
        resolve(null);
      });
    });
  }
  releaseAll(): void {
    for (const release of this.#release.splice(0)) release();
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("a guild's calls run at most `concurrency` at once; other guilds are not held up", async () => {
  const inner = new HeldExecutor();
  const fair = new GuildRestBudget(inner, {
    concurrency: 2,
    perSecond: 1_000,
    burst: 1_000,
    maxWaiting: 100,
  });
  const calls = Array.from({ length: 6 }, () => fair.execute("a", "message.send", {}));
  await tick();
  assert.equal(inner.running, 2);
  const other = fair.execute("b", "message.send", {});
  await tick();
  assert.equal(inner.started.filter((s) => s.startsWith("b:")).length, 1);
  while (inner.started.length < 7) {
    inner.releaseAll();
    await tick();
  }
  inner.releaseAll();
  await Promise.all([...calls, other]);
  assert.equal(inner.maxRunning, 3); // two of guild a + one of guild b
});

Deno.test("a guild out of tokens waits for the refill; too many waiting are refused", async () => {
  let now = 0;
  const inner = new HeldExecutor();
  const fair = new GuildRestBudget(
    inner,
    { concurrency: 10, perSecond: 1, burst: 2, maxWaiting: 1 },
    () => now,
  );
  const first = [fair.execute("a", "message.send", {}), fair.execute("a", "message.send", {})];
  const waiting = fair.execute("a", "message.send", {});
  await assert.rejects(fair.execute("a", "message.send", {}), RestBudgetExceeded);
  await tick();
  assert.equal(inner.started.length, 2);
  now = 1_000; // one token earned
  inner.releaseAll();
  await Promise.all(first);
  await tick();
  assert.equal(inner.started.length, 3);
  inner.releaseAll();
  await waiting;
});

Deno.test("interaction answers and KV calls are not budgeted", async () => {
  const inner = new HeldExecutor();
  const fair = new GuildRestBudget(inner, {
    concurrency: 1,
    perSecond: 1,
    burst: 1,
    maxWaiting: 0,
  });
  const calls = [
    fair.execute("a", "interaction.respond" as OperationName, {}),
    fair.execute("a", "interaction.followUp" as OperationName, {}),
    fair.execute("a", "message.send", {}),
  ];
  await tick();
  assert.equal(inner.running, 3);
  inner.releaseAll();
  await Promise.all(calls);
});
