/**
 * Two guilds' workers in one sandbox process: one guild's script cannot
 * read or change another guild's sorted sets, KV (through a transaction) or tasks,
 * whatever it names: the host always uses the asking worker's own guild.
 */

import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../../runtime/sandbox/protocol/mod.ts";
import { type Arena, attackScript, openArena } from "./arena.ts";

const NEIGHBOUR = `
createBot({ prefixCommands: [
  prefix({ name: "ping", run: (ctx) => ctx.reply("pong") }),
  prefix({ name: "score", run: async (ctx) => ctx.reply(String(await sorted("xp").incr("alice", 42))) }),
  prefix({ name: "plan", run: async (ctx) => {
    const task = await tasks.schedule("secret", { in: "1h" }, "neighbour-secret", { key: "secret" });
    await ctx.reply(task.id);
  } }),
  prefix({ name: "deposit", run: async (ctx) => {
    const [coins] = await kv.transact([["bank", "alice"]], ([c = 0]) => [c + 42]);
    await ctx.reply(String(coins));
  } }),
] });
`;

const SORTED_ATTACK = attackScript(`
  const xp = sorted("xp");
  const seen = {
    score: await xp.score("alice"),
    rank: await xp.rank("alice"),
    top: await xp.top(10),
    range: (await xp.range()).entries,
    deleted: await xp.delete("alice"),
  };
  await xp.incr("alice", -1000);
  let bank;
  await kv.transact([["bank", "alice"], ["bank", "mallory"]], ([alice, mallory]) => {
    bank = { alice: alice ?? null, mallory: mallory ?? null };
    return [kv.DELETE, 1000];
  });
  seen.bank = bank;
  const id = ctx.args[0];
  seen.tasks = {
    byId: await tasks.get(id),
    byKey: await tasks.get({ key: "secret" }),
    listed: (await tasks.list()).tasks,
    cancelId: await tasks.cancel(id),
    cancelKey: await tasks.cancel({ key: "secret" }),
  };
  let reserved;
  try { await sorted("flora.tasks").score("x"); reserved = "read"; } catch (e) { reserved = e.message; }
  await ctx.reply(JSON.stringify({ ...seen, reserved }));
`);

Deno.test({
  name:
    "a guild cannot see or touch another guild's sorted sets, KV (transact) or tasks in the same sandbox process",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const arena: Arena = await openArena();
    // The neighbour's replies share one channel: at Discord's 5 per 5 s (emulated) one of them
    // waited out the window (5 s). Guild data isolation is under test, not Discord's limits.
    await arena.emu.setRateLimits({ enabled: false });
    try {
      const [hostile, neighbour] = arena.guilds;
      assert.equal(hostile.process, neighbour.process, "both guilds share a sandbox process");
      assert.equal((await arena.deploy(neighbour, NEIGHBOUR)).status, "active");
      assert.equal((await arena.deploy(hostile, SORTED_ATTACK)).status, "active");
      assert.equal(await arena.ask(neighbour, "!score"), "42");
      assert.equal(await arena.ask(neighbour, "!deposit"), "42");

      const taskId = await arena.ask(neighbour, "!plan");
      const seen = JSON.parse(await arena.ask(hostile, `!attack ${taskId}`));
      assert.deepEqual(
        { ...seen, reserved: undefined },
        {
          score: null,
          rank: null,
          top: [],
          range: [],
          deleted: false,
          bank: { alice: null, mallory: null },
          tasks: {
            byId: null,
            byKey: null,
            listed: [],
            cancelId: false,
            cancelKey: false,
          },
          reserved: undefined,
        },
      );
      assert.match(seen.reserved, /reserved/);

      // A forged call naming the neighbour's guild is answered for the caller's own guild.
      const key = {
        guildId: hostile.id,
        deploymentId: arena.flora.sandboxes.activeDeployment(hostile.id)!.id,
      };
      arena.flora.sandboxes.workerMessage(key, {
        v: PROTOCOL_VERSION,
        type: "call",
        callId: 999_999,
        op: "sorted.delete",
        args: { store: "xp", key: "alice", guildId: neighbour.id },
      });
      arena.flora.sandboxes.workerMessage(key, {
        v: PROTOCOL_VERSION,
        type: "call",
        callId: 999_998,
        op: "tasks.complete",
        args: { id: taskId, guildId: neighbour.id },
      });

      const sortedSets = arena.flora.guildSorted;
      await arena.assertAnswers(neighbour);
      for (let i = 0; await sortedSets.score(hostile.id, "xp", "alice") !== null; i++) {
        assert.ok(i < 100, "the forged delete should hit the caller's own set");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(await sortedSets.score(neighbour.id, "xp", "alice"), 42);
      assert.equal(await arena.ask(neighbour, "!score"), "84");
      assert.equal(await arena.ask(neighbour, "!deposit"), "84");
      const planned = await arena.flora.tasks.get(neighbour.id, { id: taskId });
      assert.equal(planned?.payload, "neighbour-secret", "the neighbour's task is untouched");
      const kvs = arena.flora.guildKv;
      assert.equal(await kvs.get(neighbour.id, "bank", "mallory"), null);
      assert.equal((await kvs.get(hostile.id, "bank", "mallory"))?.value, 1000);
    } finally {
      await arena.close();
    }
  },
});
