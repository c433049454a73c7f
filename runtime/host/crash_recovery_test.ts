/**
 * What a sandbox process crash does to the guilds in it: a standby process
 * takes its place, a guild in use comes back without waiting for an event,
 * and events queued for a guild whose worker was starting are kept. (No
 * timing assertions: the figures are in `bench/isolation.ts`.)
 */

import assert from "node:assert/strict";
import { SandboxPool } from "../sandbox/pool.ts";
import type { SandboxManager } from "./sandboxes.ts";
import {
  messagePayload,
  ReplyRecorder,
  testDeployment,
  until,
  withSandboxes,
} from "./test_fixtures.ts";

const GUILD = "100000000000000001";

const deployment = (code: string) => testDeployment(GUILD, "d1", code);

const message = (content: string) => messagePayload(GUILD, content);

async function withManager(
  standby: number,
  fn: (m: SandboxManager, pool: SandboxPool, ex: ReplyRecorder) => Promise<void>,
) {
  const executor = new ReplyRecorder();
  await withSandboxes(executor, { pool: { standby } }, (m, pool) => fn(m, pool, executor));
}

const ECHO = `createBot({ prefixCommands: [
  prefix({ name: "echo", run: (ctx) => ctx.reply(ctx.argv.join(" ")) }),
] });`;

Deno.test("a standby process replaces a crashed one, and another standby follows", async () => {
  await withManager(1, async (manager, pool, executor) => {
    manager.register(deployment(ECHO));
    await until("a standby", () => pool.standbyPids().length === 1);
    const [standby] = pool.standbyPids();
    const [before] = pool.pids();
    manager.deliver(GUILD, "messageCreate", message("!echo one"));
    await until("the first answer", () => executor.contents.length === 1);
    Deno.kill(before!, "SIGKILL");
    await until("the restart", () => pool.pids()[0] !== before);
    assert.equal(pool.pids()[0], standby, "the standby took the crashed process's place");
    // The guild was in use: it is back without waiting for its next event.
    await until("the guild's restart", () => manager.residentGuilds().includes(GUILD));
    manager.deliver(GUILD, "messageCreate", message("!echo two"));
    await until("the second answer", () => executor.contents.length === 2);
    assert.deepEqual(executor.contents, ["one", "two"]);
    await until("a new standby", () => pool.standbyPids().length === 1);
    assert.notEqual(pool.standbyPids()[0], standby);
  });
});

Deno.test("events queued while a worker starts survive its process crashing under it", async () => {
  await withManager(0, async (manager, pool, executor) => {
    // A slow top level: the start is still loading when the process dies.
    const d = deployment(`await new Promise((r) => setTimeout(r, 1_000));\n${ECHO}`);
    manager.register(d);
    for (let i = 1; i <= 3; i++) manager.deliver(GUILD, "messageCreate", message(`!echo ${i}`));
    assert.deepEqual(manager.residentGuilds(), [GUILD], "starting");
    await new Promise((r) => setTimeout(r, 300));
    const [before] = pool.pids();
    Deno.kill(before!, "SIGKILL");
    await until("the restart", () => pool.pids()[0] !== before);
    manager.deliver(GUILD, "messageCreate", message("!echo 4"));
    await until("four answers", () => executor.contents.length >= 4);
    await until("nothing in flight", () => manager.inflightEvents() === 0);
    assert.deepEqual(executor.contents, ["1", "2", "3", "4"], "each once, in order");
  });
});
