import assert from "node:assert/strict";
import { GuildWorker, LoadStopped } from "./guild_worker.ts";
import { testDeployment } from "./test_fixtures.ts";

const GUILD = "100000000000000001";
const deployment = testDeployment(GUILD, "d1", "");
const key = { guildId: GUILD, deploymentId: "d1" };
const worker = (holdsQueue = false) => new GuildWorker(key, deployment, 0, { holdsQueue });

Deno.test("GuildWorker starts loading and becomes a candidate once its script loaded", async () => {
  const w = worker();
  assert.equal(w.state, "loading");
  assert.ok(w.loading);
  assert.equal(w.markLoaded([{ name: "ping", description: "Ping", type: 1 }]), true);
  assert.equal(w.state, "candidate");
  assert.deepEqual(await w.loaded, [{ name: "ping", description: "Ping", type: 1 }]);
  assert.equal(w.markLoaded([]), false, "a second loaded message changes nothing");
});

Deno.test("GuildWorker.failLoad stops a loading worker and rejects its load", async () => {
  const w = worker();
  assert.equal(w.failLoad(new Error("no config found")), true);
  assert.equal(w.state, "stopped");
  await assert.rejects(w.loaded, /no config found/);
  assert.equal(w.failLoad(new Error("again")), false);
});

Deno.test("GuildWorker serves only once loaded", () => {
  const w = worker();
  assert.throws(() => w.serve(), /a loading worker cannot become serving/);
  w.markLoaded([]);
  w.serve();
  assert.ok(w.serving);
  w.serve(); // already serving: nothing changes
  assert.equal(w.state, "serving");
});

Deno.test("GuildWorker holds its guild's queue only while loading or a candidate", () => {
  const w = worker(true);
  assert.ok(w.holdsQueue);
  w.markLoaded([]);
  assert.ok(w.holdsQueue, "a loaded deploy still holds the queue until activated");
  assert.equal(w.releaseQueue(), true);
  assert.equal(w.holdsQueue, false);
  assert.equal(w.releaseQueue(), false, "released once");
  assert.equal(worker(false).releaseQueue(), false);
});

Deno.test("GuildWorker.retire moves a serving worker on, and stop clears its timer", async () => {
  const w = worker();
  w.markLoaded([]);
  w.serve();
  let fired = false;
  w.retire(setTimeout(() => (fired = true), 20));
  assert.ok(w.retiring);
  assert.equal(w.serving, false);
  w.stop();
  assert.equal(w.state, "stopped");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(fired, false, "the retire timer was cleared");
});

Deno.test("GuildWorker refuses transitions out of order", () => {
  const w = worker();
  w.stop();
  assert.throws(() => w.retire(), /a stopped worker cannot become retiring/);
  assert.throws(() => w.serve(), /a stopped worker cannot become serving/);
  w.stop(); // stopping twice is harmless
  const r = worker();
  r.retire();
  assert.throws(() => r.serve(), /a retiring worker cannot become serving/);
  assert.equal(r.markLoaded([]), false, "a retired load is not taken");
});

Deno.test("GuildWorker.stop settles a load still running with LoadStopped", async () => {
  const w = worker(true);
  w.stop();
  assert.equal(w.state, "stopped");
  assert.equal(w.holdsQueue, false, "a stopped worker holds no queue");
  await assert.rejects(w.loaded, LoadStopped);
  const loaded = worker();
  loaded.markLoaded([]);
  loaded.stop();
  assert.deepEqual(await loaded.loaded, [], "a finished load stays as it was");
});
