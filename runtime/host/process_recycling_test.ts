/**
 * Recycling sandbox processes past their RSS ceiling, with real processes
 * and workers: the guilds keep answering across recycles, every event is
 * handled once and in order, interactions are all answered, and the old
 * processes exit.
 */

import assert from "node:assert/strict";
import {
  messagePayload,
  RecordingExecutor,
  slashPayload,
  testDeployment,
  until,
  withSandboxes,
} from "./test_fixtures.ts";

const guild = (n: number) => `1000000000000${String(n).padStart(5, "0")}`;
const GUILDS = [guild(1), guild(2), guild(3)];

// Each handler waits a little, so recycles often find an event in flight.
const SCRIPT = `
  createBot({
    prefixCommands: [prefix({ name: "echo", run: async (ctx) => {
      await new Promise((r) => setTimeout(r, 3));
      await ctx.reply(ctx.argv.join(" "));
    } })],
    slashCommands: [slash({ name: "ping", description: "p", run: (ctx) => ctx.reply("pong") })],
  });`;

const alive = (pid: number) => {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
};

Deno.test("a sandbox process past its RSS ceiling is recycled: every event once, in order, none lost", async () => {
  const executor = new RecordingExecutor();
  await withSandboxes(
    executor,
    // Every process is over a 1 MiB ceiling: each is recycled once it has served for 1 s.
    { pool: { heapMb: 256, standby: 1, rssCeilingMb: 1, recycleMinAgeMs: 1_000 } },
    async (manager, pool) => {
      GUILDS.forEach((g, i) => manager.register(testDeployment(g, `d${i}`, SCRIPT)));
      const pids = new Set<number>();
      const sent = new Map<string, string[]>(GUILDS.map((g) => [g, []]));
      const interactions = new Map<string, string[]>(GUILDS.map((g) => [g, []]));
      let n = 0;
      const deadline = Date.now() + 30_000;
      // A steady stream to every guild until the process has been recycled three times.
      while (manager.metrics.processRecycles.total() < 3) {
        const pid = pool.pids()[0];
        if (pid !== undefined) pids.add(pid);
        for (const g of GUILDS) {
          const id = String(n++);
          if (n % 10 === 0) {
            const interactionId = String(800000000000000000n + BigInt(n));
            interactions.get(g)!.push(interactionId);
            manager.deliver(g, "interactionCreate", slashPayload(g, interactionId, "ping"));
          } else {
            sent.get(g)!.push(id);
            manager.deliver(g, "messageCreate", messagePayload(g, `!echo ${id}`));
          }
        }
        await new Promise((r) => setTimeout(r, 10));
        assert(Date.now() < deadline, "the process was not recycled three times in 30 s");
      }
      await until(
        "every event answered",
        () => manager.inflightEvents() === 0 && manager.queuedEvents() === 0,
        30_000,
      );
      for (const g of GUILDS) {
        const replies = executor.calls.filter((c) => c.guildId === g && c.op === "message.send")
          .map((c) => String((c.args.data as { content?: unknown })?.content));
        assert.deepEqual(replies, sent.get(g), `guild ${g}`);
        const answered = executor.calls.filter((c) =>
          c.guildId === g && (c.op === "interaction.respond" || c.op === "interaction.editReply") &&
          (c.args.data as { content?: string } | undefined)?.content === "pong"
        ).map((c) => String(c.args.interactionId));
        assert.deepEqual(answered, interactions.get(g), `interactions of guild ${g}`);
      }
      assert.equal(manager.metrics.crashes.total(), 0);
      assert.equal(manager.metrics.eventsDropped.total(), 0);
      assert(pids.size >= 3, `the slot's process changed: ${[...pids]}`);
      // Every recycled process exits once its workers have moved.
      const current = pool.pids()[0];
      await until(
        "the recycled processes to exit",
        () => [...pids].every((pid) => pid === current || !alive(pid)),
      );
    },
  );
});
