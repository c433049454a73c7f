/**
 * A deploy's worker and a cold start meeting half-way: a deploy's worker
 * lost before its switch, a starting worker replaced while it loads, a
 * deployment activated while loaded a second time. Real sandbox process and
 * workers; waits are generous because the machine may be loaded.
 */

import assert from "node:assert/strict";
import { LoadStopped } from "./sandboxes.ts";
import {
  messagePayload,
  ReplyRecorder,
  testDeployment,
  until as untilWithin,
  withSandboxes,
} from "./test_fixtures.ts";

/** Generous: the machine may be loaded. */
const until = (what: string, check: () => boolean) => untilWithin(what, check, 30_000);

const GUILD = "100000000000000001";
const OTHER = "100000000000000002";

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
function within<T>(what: string, promise: Promise<T>, ms = 30_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle in ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A script answering `!echo …` with `<version> …`, after a top level taking `delayMs`. */
const echo = (version: string, delayMs = 0) =>
  `${delayMs ? `await new Promise((r) => setTimeout(r, ${delayMs}));\n` : ""}` +
  `createBot({ prefixCommands: [
    prefix({ name: "echo", run: (ctx) => ctx.reply("${version} " + ctx.argv.join(" ")) }),
  ] });`;

const message = (guildId: string, content: string) => messagePayload(guildId, content);

Deno.test("a deploy's worker lost before its switch lets its guild cold-start again", async () => {
  const executor = new ReplyRecorder();
  await withSandboxes(executor, { pool: { standby: 0 } }, async (manager, pool, logs) => {
    manager.register(testDeployment(GUILD, "d1", echo("v1")));
    const d2 = testDeployment(GUILD, "d2", echo("v2"), "pending");
    await manager.load(d2);
    // The deploy's checks are still running (commands being registered) when its
    // sandbox process dies under it.
    const [before] = pool.pids();
    Deno.kill(before!, "SIGKILL");
    await until("the restart", () => pool.pids()[0] !== undefined && pool.pids()[0] !== before);
    manager.deliver(GUILD, "messageCreate", message(GUILD, "!echo a"));
    await until("the running version's answer", () => executor.contents.length === 1);
    assert.deepEqual(executor.contents, ["v1 a"]);
    const told = logs.recent(GUILD).map((l) => l.message);
    assert.ok(told.some((m) => m.includes("d2's worker stopped before it went live")), "told");
    // The deploy then goes live (its commands are registered): the next event starts it.
    manager.activate(d2);
    assert.equal(manager.activeDeployment(GUILD)?.id, "d2");
    manager.deliver(GUILD, "messageCreate", message(GUILD, "!echo b"));
    await until("the new version's answer", () => executor.contents.length === 2);
    assert.deepEqual(executor.contents, ["v1 a", "v2 b"]);
  });
});

Deno.test("a cold start replaced by an activation while loading settles and frees its start slot", async () => {
  const executor = new ReplyRecorder();
  await withSandboxes(
    executor,
    { pool: { standby: 0 }, manager: { maxConcurrentStarts: 1 } },
    async (manager, _pool, logs) => {
      // A slow top level: still loading when the deploy switches.
      manager.register(testDeployment(GUILD, "d1", echo("v1", 5_000)));
      manager.register(testDeployment(OTHER, "o1", echo("o1")));
      manager.deliver(GUILD, "messageCreate", message(GUILD, "!echo 1"));
      assert.deepEqual(manager.residentGuilds(), [GUILD], "starting, in the only start slot");
      const d2 = testDeployment(GUILD, "d2", echo("v2"), "pending");
      await manager.load(d2);
      manager.activate(d2);
      await until("the new version's answer", () => executor.contents.includes("v2 1"));
      // The replaced start gave its slot back: another guild can start.
      manager.deliver(OTHER, "messageCreate", message(OTHER, "!echo 2"));
      await until("the other guild's answer", () => executor.contents.includes("o1 2"));
      assert.deepEqual(executor.contents.sort(), ["o1 2", "v2 1"]);
      assert.ok(
        !logs.recent(GUILD).some((l) => l.message.includes("could not start")),
        "a replaced start is not the script's failure",
      );
    },
  );
});

Deno.test("a deployment loaded again before its activation serves once the new load ends", async () => {
  const executor = new ReplyRecorder();
  await withSandboxes(executor, { pool: { standby: 0 } }, async (manager) => {
    const d1 = testDeployment(GUILD, "d1", echo("v1"), "pending");
    await manager.load(d1);
    manager.activate(d1);
    const d2 = testDeployment(GUILD, "d2", echo("v2", 300), "pending");
    const first = manager.load(d2);
    await first;
    // Two notices of the same deployment (e.g. from two hosts) load it twice; the
    // first one's activation meets the second load still running.
    const second = manager.load(d2);
    manager.activate(d2);
    manager.deliver(GUILD, "messageCreate", message(GUILD, "!echo x"));
    await until("the new version's answer", () => executor.contents.length === 1);
    assert.deepEqual(executor.contents, ["v2 x"]);
    await within("the second load", second);
    manager.activate(d2); // the second notice's activation changes nothing
    assert.equal(manager.activeDeployment(GUILD)?.id, "d2");
  });
});

Deno.test("loading a deployment again stops the first load with LoadStopped", async () => {
  const executor = new ReplyRecorder();
  await withSandboxes(executor, { pool: { standby: 0 } }, async (manager) => {
    const d1 = testDeployment(GUILD, "d1", echo("v1", 2_000), "pending");
    const first = manager.load(d1);
    const second = manager.load(d1);
    await assert.rejects(within("the first load", first), LoadStopped);
    await within("the second load", second);
    manager.activate(d1);
    manager.deliver(GUILD, "messageCreate", message(GUILD, "!echo y"));
    await until("the answer", () => executor.contents.length === 1);
    assert.deepEqual(executor.contents, ["v1 y"]);
  });
});
