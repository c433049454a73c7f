/** A bus event's guild KV write on PostgreSQL commits only while its effect fence holds. */

import { assertEquals, assertRejects } from "../contract/assert.ts";
import { type KvWriteStep, kvWriteStep } from "../effect_journal.ts";
import { type EffectFence, effectFence, EffectFenced } from "../../shared/effect_fence.ts";
import { postgresGate } from "../testing/servers.ts";
import { PgGuildKvStore } from "./guild_kv.ts";
import { withPostgresSchema } from "./testing.ts";

const gate = await postgresGate();

/** A fence that holds for its first `passes` checks, then refuses (the lease lapsed). */
function lapsingFence(passes: number): EffectFence & { checks: number } {
  return {
    checks: 0,
    check() {
      if (++this.checks > passes) throw new EffectFenced("lost the partition");
    },
  };
}

Deno.test({
  name: `PgGuildKvStore rolls a write back when its fence lapsed before the commit${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async ({ sql, effects }) => {
      const kv = new PgGuildKvStore(sql);
      await kv.set("g", "s", "n", 5);
      // The host's check passed; the node stopped during the transaction and woke past its lease.
      const fence = lapsingFence(0);
      const at: KvWriteStep = { step: { guildId: "g", eventId: "s:1", index: 0, hash: "h" } };
      await assertRejects(
        () =>
          effectFence.run(fence, () => kvWriteStep.run(at, () => kv.increment("g", "s", "n", 1))),
        EffectFenced,
      );
      assertEquals(fence.checks, 1, "checked once, inside the transaction");
      assertEquals((await kv.get("g", "s", "n"))?.value, 5, "the write rolled back");
      assertEquals((await effects.recorded("g", "s:1")).size, 0, "and its step with it");
      // Without the fence (this node's own write) and under a holding one, writes go through.
      await kv.increment("g", "s", "n", 1);
      await effectFence.run(lapsingFence(1), () => kv.set("g", "s", "m", 1));
      assertEquals((await kv.get("g", "s", "n"))?.value, 6);
      assertEquals((await kv.get("g", "s", "m"))?.value, 1);
    }),
});
