import assert from "node:assert/strict";
import { postgresGate } from "../../storage/testing/servers.ts";
import { PgGuildKvStore } from "../../storage/postgres/guild_kv.ts";
import { withPostgresSchema } from "../../storage/postgres/testing.ts";
import type { PostgresStorage } from "../../storage/postgres/open.ts";
import type { OperationName } from "../sandbox/protocol/mod.ts";
import { EffectJournaling, EffectRun, operationHash } from "./effect_journaling.ts";

const gate = await postgresGate();

/** A handler's calls against a real guild KV; `sent` stands in for Discord (what was posted). */
function handler(storage: PostgresStorage, journaling: EffectJournaling) {
  const kv = new PgGuildKvStore(storage.sql);
  const sent: { content: string; nonce?: string }[] = [];
  const call = (run: EffectRun, op: OperationName, arg: string) => {
    const args = op === "message.send" ? { channelId: "c", data: { content: arg } } : { key: arg };
    return journaling.run(run, op, args, (sending) => {
      switch (op) {
        case "kv.increment":
          return kv.increment("g", "s", arg, 1);
        case "kv.get":
          return kv.get("g", "s", arg);
        default: {
          const { data } = sending as { data: { content: string; nonce?: string } };
          sent.push({ content: data.content, nonce: data.nonce });
          return Promise.resolve({ id: `m${sent.length}`, content: data.content });
        }
      }
    });
  };
  return { kv, sent, contents: () => sent.map((m) => m.content), call };
}

Deno.test({
  name: `EffectJournaling: a re-run after a death repeats no KV write or message${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async (storage) => {
      const replayed: string[] = [];
      const journaling = new EffectJournaling(storage.effects, {
        kvJoins: true,
        onReplay: (op) => replayed.push(op),
      });
      const { kv, contents, call } = handler(storage, journaling);

      // The first run dies after its increment and its message.
      const first = new EffectRun("g", "s:1", false);
      assert.equal(await call(first, "kv.increment", "n"), 1);
      assert.deepEqual(await call(first, "message.send", "hello"), {
        id: "m1",
        content: "hello",
      });

      await journaling.recorded();
      // The next owner runs it again (a read in between counts for nothing) and goes further.
      const again = new EffectRun("g", "s:1", true);
      assert.equal((await call(again, "kv.get", "n") as { value: number }).value, 1);
      assert.equal(await call(again, "kv.increment", "n"), 1, "the recorded result");
      assert.deepEqual(await call(again, "message.send", "hello"), {
        id: "m1",
        content: "hello",
      });
      assert.equal(await call(again, "kv.increment", "n"), 2, "a new step runs");
      assert.deepEqual(contents(), ["hello"]);
      assert.deepEqual(replayed, ["message.send"]);
      assert.equal((await kv.get("g", "s", "n"))?.value, 2);
      assert.equal((await storage.effects.recorded("g", "s:1")).size, 3);

      // Marked handled: the rows go a minute later (a woken paused node may still run it).
      journaling.marked("g", "s:1", 1_000);
      journaling.marked("g", "s:9", 1_000); // never journaled here: nothing to forget
      await journaling.flush(60_999);
      assert.equal((await storage.effects.recorded("g", "s:1")).size, 3);
      await journaling.flush(61_000);
      assert.equal((await storage.effects.recorded("g", "s:1")).size, 0);
    }),
});

Deno.test({
  name:
    `EffectJournaling: a re-run that asks for something else executes from there on${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async (storage) => {
      const journaling = new EffectJournaling(storage.effects, { kvJoins: true });
      const { kv, contents, call } = handler(storage, journaling);
      const first = new EffectRun("g", "s:2", false);
      await call(first, "kv.increment", "n");
      await call(first, "message.send", "a");
      await call(first, "kv.increment", "n");
      await journaling.recorded();

      const again = new EffectRun("g", "s:2", true);
      assert.equal(await call(again, "kv.increment", "n"), 1, "replayed");
      await call(again, "message.send", "b"); // diverged at index 1
      assert.equal(again.diverged, true);
      assert.equal(await call(again, "kv.increment", "n"), 3, "not replayed after it");
      assert.deepEqual(contents(), ["a", "b"]);
      assert.equal((await kv.get("g", "s", "n"))?.value, 3);
    }),
});

Deno.test({
  name: `EffectJournaling without a KV that joins records KV writes after them${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async (storage) => {
      const journaling = new EffectJournaling(storage.effects, { kvJoins: false });
      const { kv, call } = handler(storage, journaling);
      await call(new EffectRun("g", "s:3", false), "kv.increment", "n");
      await journaling.recorded();
      assert.equal(await call(new EffectRun("g", "s:3", true), "kv.increment", "n"), 1);
      assert.equal((await kv.get("g", "s", "n"))?.value, 1);
    }),
});

Deno.test({
  name:
    `EffectJournaling sends a message again with the same enforced nonce when its record is missing${gate.note}`,
  ignore: gate.ignore,
  fn: () =>
    withPostgresSchema(async (storage) => {
      const journaling = new EffectJournaling(storage.effects, { kvJoins: true });
      const { sent, call } = handler(storage, journaling);
      await call(new EffectRun("g", "s:4", false), "message.send", "once");
      await journaling.recorded();
      // The node died between Discord's answer and the record.
      await storage.sql`delete from guild_effects where event_id = 's:4'`;
      await call(new EffectRun("g", "s:4", true), "message.send", "once");
      assert.equal(sent.length, 2);
      assert.match(sent[0].nonce ?? "", /^e[0-9a-z]{1,24}$/);
      assert.equal(sent[1].nonce, sent[0].nonce, "Discord returns the message already created");
      await call(new EffectRun("g", "s:5", false), "message.send", "once");
      assert.notEqual(sent[2].nonce, sent[0].nonce, "another event's message is another");
    }),
});

Deno.test("operationHash tells operations and arguments apart", () => {
  const a = operationHash("message.send", { channelId: "1", data: { content: "x" } });
  assert.equal(a, operationHash("message.send", { channelId: "1", data: { content: "x" } }));
  assert.notEqual(a, operationHash("message.send", { channelId: "1", data: { content: "y" } }));
  assert.notEqual(a, operationHash("message.edit", { channelId: "1", data: { content: "x" } }));
  assert.match(a, /^message\.send:[0-9a-f]+$/);
});
