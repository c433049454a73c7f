/** The effect journal on PostgreSQL, and guild KV writes joining it in their own transactions. */

import { assert, assertEquals, assertRejects } from "../contract/assert.ts";
import { type EffectStep, type KvWriteStep, kvWriteStep } from "../effect_journal.ts";
import { postgresGate } from "../testing/servers.ts";
import { StorageInputError } from "../types.ts";
import { PgGuildKvStore } from "./guild_kv.ts";
import { withPostgresSchema } from "./testing.ts";

const gate = await postgresGate();

const step = (index: number, hash = `h${index}`): EffectStep => ({
  guildId: "g",
  eventId: "s:1",
  index,
  hash,
});

Deno.test({
  name: `PgEffectJournal records a step once, reads it back, forgets and prunes${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async ({ effects, sql }) => {
      assertEquals(await effects.record([{ step: step(0), result: { id: "m1" } }]), 1);
      assertEquals(
        await effects.record([
          { step: step(0, "other"), result: { id: "m2" } }, // index taken
          { step: step(1), result: undefined },
          { step: { ...step(0), eventId: "s:2" }, result: 7 },
        ]),
        2,
      );
      assertEquals(await effects.record([]), 0);
      assertEquals(
        await effects.recorded("g", "s:1"),
        new Map([[0, { hash: "h0", result: { id: "m1" } }], [1, {
          hash: "h1",
          result: undefined,
        }]]),
      );
      assertEquals(await effects.forget([{ guildId: "g", eventId: "s:1" }]), 2);
      assertEquals(await effects.forget([]), 0);
      assertEquals((await effects.recorded("g", "s:1")).size, 0);
      assertEquals((await effects.recorded("g", "s:2")).size, 1, "other events keep theirs");
      await sql`update guild_effects set recorded_at = 0`;
      assertEquals(await effects.prune(Date.now() - 60_000), 1);
      assertEquals((await effects.recorded("g", "s:2")).size, 0);
    }),
});

Deno.test({
  name: `PgGuildKvStore under a journal step writes once across runs of an event${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async ({ sql, effects }) => {
      const kv = new PgGuildKvStore(sql);
      const increment = (at: KvWriteStep) =>
        kvWriteStep.run(at, () => kv.increment("g", "s", "n", 1));

      const first: KvWriteStep = { step: step(0) };
      assertEquals(await increment(first), 1);
      assertEquals(first.outcome, "recorded");
      assertEquals((await effects.recorded("g", "s:1")).get(0)?.hash, "h0", "in the same commit");

      // A re-run that did not read the journal first: the step's row decides, the write rolls back.
      const blind: KvWriteStep = { step: step(0) };
      assertEquals(await increment(blind), 1, "the first run's result");
      assertEquals(blind.outcome, "replayed");

      // A re-run that read it: answered without a transaction.
      const replay: KvWriteStep = {
        step: step(0),
        replay: (await effects.recorded("g", "s:1")).get(0),
      };
      assertEquals(await increment(replay), 1);
      assertEquals(replay.outcome, "replayed");
      assertEquals((await kv.get("g", "s", "n"))?.value, 1, "written once");

      // Another operation at a recorded index: it runs, unrecorded.
      const other: KvWriteStep = { step: step(0, "other") };
      assertEquals(await increment(other), 2);
      assertEquals(other.outcome, "diverged");

      // Every kind of write returns what it returned the first time.
      const setAt: KvWriteStep = { step: step(1) };
      const entry = await kvWriteStep.run(setAt, () => kv.set("g", "s", "k", "v1"));
      await kv.set("g", "s", "k", "v2"); // unjournaled, in between
      const setAgain = await kvWriteStep.run({ step: step(1) }, () => kv.set("g", "s", "k", "v1"));
      assertEquals(setAgain, entry);
      assertEquals((await kv.get("g", "s", "k"))?.value, "v2", "the replay wrote nothing");
      const del = () => kvWriteStep.run({ step: step(2) }, () => kv.delete("g", "s", "k"));
      assertEquals(await del(), true);
      await kv.set("g", "s", "k", "v3");
      assertEquals(await del(), true, "recorded result");
      assertEquals((await kv.get("g", "s", "k"))?.value, "v3");
      const atomic = () =>
        kvWriteStep.run(
          { step: step(3) },
          () =>
            kv.atomic("g", [{ store: "s", key: "a", version: null }], [{
              store: "s",
              key: "a",
              value: 1,
            }]),
        );
      assertEquals(await atomic(), true);
      assertEquals(await atomic(), true, "not a failed check the second time");
    }),
});

Deno.test({
  name: `PgGuildKvStore records nothing for a write that failed${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async ({ sql, effects }) => {
      const kv = new PgGuildKvStore(sql, { maxGuildBytes: 100 });
      const at: KvWriteStep = { step: step(0) };
      await assertRejects(
        () => kvWriteStep.run(at, () => kv.set("g", "s", "big", "x".repeat(200))),
        StorageInputError,
      );
      assertEquals((await effects.recorded("g", "s:1")).size, 0, "rolled back with the write");
      const again: KvWriteStep = { step: step(0) };
      assertEquals((await kvWriteStep.run(again, () => kv.set("g", "s", "k", 1))).value, 1);
      assertEquals(again.outcome, "recorded");
    }),
});

Deno.test({
  name: `PgGuildKvStore: two runs of one event on two nodes at once write once${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async ({ sql }) => {
      // A paused node woken while the next owner runs the same event: both reach each step.
      const a = new PgGuildKvStore(sql);
      const b = new PgGuildKvStore(sql);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => [
          kvWriteStep.run({ step: step(i) }, () => a.increment("g", "s", "n", 1)),
          kvWriteStep.run({ step: step(i) }, () => b.increment("g", "s", "n", 1)),
        ]).flat(),
      );
      assertEquals((await a.get("g", "s", "n"))?.value, 10);
      for (let i = 0; i < 10; i++) {
        assert(results[2 * i] === results[2 * i + 1], `step ${i}: both runs got one result`);
      }
    }),
});
