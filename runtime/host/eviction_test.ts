import assert from "node:assert/strict";
import { Eviction } from "./eviction.ts";
import { Guild } from "./guild_state.ts";
import { GuildWorker } from "./guild_worker.ts";
import { FloraMetrics } from "./metrics.ts";
import { testDeployment } from "./test_fixtures.ts";

/** A resident guild whose worker serves and has nothing to do. */
function idleGuild(id: string): Guild {
  const guild = new Guild(id, 10);
  guild.deployment = testDeployment(id, `d-${id}`, "");
  guild.worker = new GuildWorker({ guildId: id, deploymentId: `d-${id}` }, guild.deployment, 0, {
    holdsQueue: false,
  });
  guild.worker.markLoaded([]);
  guild.worker.serve();
  return guild;
}

function evictionOf(
  guilds: Guild[],
  limits = { maxResident: 2, idleMs: 60_000 },
  runsHere: (guildId: string) => boolean = () => false,
) {
  const byId = new Map(guilds.map((g) => [g.id, g]));
  const stopped: string[] = [];
  const metrics = new FloraMetrics();
  const eviction: Eviction = new Eviction(limits, {
    guild: (id) => byId.get(id),
    stop: (worker) => {
      stopped.push(worker.key.guildId);
      eviction.remove(worker.key.guildId);
    },
    closing: () => false,
    runsHere,
  }, metrics);
  return { eviction, stopped };
}

Deno.test("Eviction.makeRoom stops the least recently used idle guild, never a busy one", () => {
  const [a, b, c] = ["a", "b", "c"].map(idleGuild);
  const { eviction, stopped } = evictionOf([a, b, c]);
  eviction.touch("a");
  eviction.touch("b");
  eviction.makeRoom();
  assert.deepEqual(stopped, ["a"], "two resident, cap two: one must go for the next start");
  eviction.touch("c");
  b.queue.push({ name: "messageCreate", payload: {}, receivedAt: 0 });
  eviction.makeRoom();
  assert.deepEqual(stopped, ["a", "c"], "b has events waiting: busy, so c goes instead");
  assert.equal(eviction.size, 1);
});

Deno.test("Eviction.release stops an idle guild's worker at once, never a busy one's", () => {
  const [a, b] = ["a", "b"].map(idleGuild);
  const { eviction, stopped } = evictionOf([a, b], { maxResident: 10, idleMs: 60_000 });
  eviction.touch("a");
  eviction.touch("b");
  b.queue.push({ name: "messageCreate", payload: {}, receivedAt: 0 });
  eviction.release("a");
  eviction.release("b");
  assert.deepEqual(stopped, ["a"], "a is idle and well under the cap, yet goes; b has events");
  assert.equal(eviction.size, 1);
});

Deno.test("Eviction.release stops a busy guild's worker once its batch ends, if still elsewhere", () => {
  const [a, b, c] = ["a", "b", "c"].map(idleGuild);
  const back = new Set<string>();
  const { eviction, stopped } = evictionOf(
    [a, b, c],
    { maxResident: 10, idleMs: 60_000 },
    (id) => back.has(id),
  );
  for (const g of [a, b, c]) {
    eviction.touch(g.id);
    g.queue.push({ name: "messageCreate", payload: {}, receivedAt: 0 });
  }
  for (const g of [a, b]) eviction.release(g.id);
  assert.deepEqual(stopped, [], "all busy");
  for (const g of [a, b, c]) g.queue.takeBatch(10);
  back.add("b"); // b's partition came back to this node meanwhile
  for (const g of [a, b, c]) eviction.batchEnded(g.id);
  assert.deepEqual(stopped, ["a"], "b runs here again, c was never released");
  back.delete("b");
  eviction.batchEnded("b");
  assert.deepEqual(stopped, ["a"], "b's put-off release was dropped when it came back");
});

Deno.test("Eviction.release put off while busy waits for the guild to be idle", () => {
  const a = idleGuild("a");
  const { eviction, stopped } = evictionOf([a], { maxResident: 10, idleMs: 60_000 });
  eviction.touch("a");
  a.queue.push({ name: "interactionCreate", payload: {}, receivedAt: 0 });
  a.queue.push({ name: "interactionCreate", payload: {}, receivedAt: 0 });
  eviction.release("a");
  a.queue.takeBatch(1);
  eviction.batchEnded("a"); // an interaction (never withdrawn) still waits: not yet
  assert.deepEqual(stopped, []);
  a.queue.takeBatch(1);
  eviction.batchEnded("a");
  assert.deepEqual(stopped, ["a"]);
});

Deno.test("Eviction.remove forgets a guild whose worker is gone without stopping anything", () => {
  const { eviction, stopped } = evictionOf([]);
  eviction.touch("gone");
  assert.equal(typeof eviction.lastUse("gone"), "number");
  eviction.remove("gone");
  assert.equal(eviction.lastUse("gone"), undefined);
  assert.deepEqual(stopped, []);
});

Deno.test("Eviction's idle sweep stops idle guilds while any is resident", async () => {
  const a = idleGuild("a");
  const { eviction, stopped } = evictionOf([a], { maxResident: 10, idleMs: 20 });
  eviction.touch("a");
  eviction.check();
  for (let i = 0; i < 100 && stopped.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(stopped, ["a"]);
  eviction.check(); // nothing resident: the sweep stops
  eviction.stop();
});
