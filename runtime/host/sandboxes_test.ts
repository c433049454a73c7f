import assert from "node:assert/strict";
import { type OperationName, PROTOCOL_VERSION } from "../sandbox/protocol/mod.ts";
import { MemoryLogBuffer } from "./logs.ts";
import { type OperationExecutor, SandboxManager, ScriptLoadError } from "./sandboxes.ts";
import { messagePayload, testDeployment, until, withSandboxes } from "./test_fixtures.ts";

const GUILD = "100000000000000001";

/** Records what scripts asked the host to do, and answers like Discord would. */
class RecordingExecutor implements OperationExecutor {
  calls: { guildId: string; op: OperationName; args: unknown }[] = [];
  #waiters: (() => void)[] = [];
  execute(guildId: string, op: OperationName, args: unknown): Promise<unknown> {
    this.calls.push({ guildId, op, args });
    for (const wake of this.#waiters.splice(0)) wake();
    if ((args as { channelId?: string }).channelId === "999") {
      return Promise.reject(new Error("channel 999 is not a channel of this guild"));
    }
    return Promise.resolve({ id: "555" });
  }
  async waitForCalls(n: number): Promise<void> {
    while (this.calls.length < n) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

const deployment = (id: string, code: string) => testDeployment(GUILD, id, code, "pending");

async function withManager(
  fn: (m: SandboxManager, ex: RecordingExecutor, logs: MemoryLogBuffer) => Promise<void>,
  limits = { eventTimeoutMs: 2_000, loadTimeoutMs: 2_000 },
) {
  const executor = new RecordingExecutor();
  await withSandboxes(executor, { pool: { limits } }, (m, _pool, logs) => fn(m, executor, logs));
}

const message = (content: string) => messagePayload(GUILD, content);

/** Loads and activates a script that answers `!name` with `reply`. */
async function deployReplying(manager: SandboxManager, name: string, reply: string) {
  const d = deployment(
    "d1",
    `createBot({ prefixCommands: [prefix({ name: "${name}", run: (ctx) => ctx.reply("${reply}") })] });`,
  );
  await manager.load(d);
  manager.activate(d);
}

Deno.test("a loaded script answers a prefix command through a host call", async () => {
  await withManager(async (manager, executor) => {
    const d = deployment(
      "d1",
      `createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong!") })] });`,
    );
    const commands = await manager.load(d);
    assert.deepEqual(commands, []);
    manager.activate(d);
    assert(manager.deliver(GUILD, "messageCreate", message("!ping")));
    await executor.waitForCalls(1);
    assert.deepEqual(executor.calls[0].guildId, GUILD);
    assert.deepEqual(executor.calls[0].op, "message.send");
    const args = executor.calls[0].args as { channelId: string; data: Record<string, unknown> };
    assert.deepEqual(args.channelId, "200000000000000001");
    assert.deepEqual(args.data.content, "pong!");
  });
});

Deno.test("SandboxManager.activate keeps no worker for a guild whose events another node runs", async () => {
  const executor = new RecordingExecutor();
  let runsHere = false;
  await withSandboxes(executor, { hooks: { runsEvents: () => runsHere } }, async (manager) => {
    await deployReplying(manager, "ping", "pong!");
    assert.deepEqual(manager.residentGuilds(), [], "deployed here, run elsewhere: released");
    assert.equal(manager.activeDeployment(GUILD)?.id, "d1", "the deployment stays registered");
    // The guild's partition comes to this node: its first event starts a worker as usual.
    runsHere = true;
    assert(manager.deliver(GUILD, "messageCreate", message("!ping")));
    await executor.waitForCalls(1);
    assert.equal(executor.calls[0].op, "message.send");
    assert.deepEqual(manager.residentGuilds(), [GUILD]);
  });
});

Deno.test("SandboxManager.activate keeps the worker of a guild whose events this node runs", async () => {
  await withSandboxes(new RecordingExecutor(), { hooks: { runsEvents: () => true } }, async (m) => {
    const d = deployment("d1", `createBot({});`);
    await m.load(d);
    m.activate(d);
    assert.deepEqual(m.residentGuilds(), [GUILD]);
  });
});

Deno.test("SandboxManager.release stops the idle workers of the guilds it is given, only those", async () => {
  await withSandboxes(new RecordingExecutor(), {}, async (manager) => {
    const d = deployment("d1", `createBot({});`);
    await manager.load(d);
    manager.activate(d);
    assert.deepEqual(manager.residentGuilds(), [GUILD]);
    assert.equal(manager.release((guildId) => guildId !== GUILD), 0, "another guild's partition");
    assert.deepEqual(manager.residentGuilds(), [GUILD]);
    assert.equal(manager.release((guildId) => guildId === GUILD), 1);
    assert.deepEqual(manager.residentGuilds(), [], "its partition was handed over: released");
    assert.equal(manager.activeDeployment(GUILD)?.id, "d1", "the deployment stays registered");
  });
});

/** Answers each call only once the test opens the gate: a handler stays busy until then. */
class GatedExecutor implements OperationExecutor {
  calls = 0;
  #open = Promise.withResolvers<void>();
  async execute(): Promise<unknown> {
    this.calls++;
    await this.#open.promise;
    return { id: "555" };
  }
  open(): void {
    this.#open.resolve();
  }
}

/**
 * A guild's worker busy with `!hold` (its reply held by the executor) when its partition is
 * handed over (`release`), then the reply answered: `comesBack` says whether the guild's
 * partition is this node's again by then. Returns the guilds still resident after.
 */
async function releaseWhileBusy(comesBack: boolean) {
  const executor = new GatedExecutor();
  let runsHere = true;
  let resident: string[] = [];
  let evicted = 0;
  await withSandboxes(executor, { hooks: { runsEvents: () => runsHere } }, async (manager) => {
    await deployReplying(manager, "hold", "held");
    assert(manager.deliver(GUILD, "messageCreate", message("!hold")));
    await until("the held reply", () => executor.calls === 1);
    runsHere = false; // handed over, its drain's deadline passed with the handler still running
    assert.equal(manager.release((guildId) => guildId === GUILD), 0, "busy: not yet");
    assert.deepEqual(manager.residentGuilds(), [GUILD]);
    runsHere = comesBack;
    executor.open();
    await until("the batch's end", () => manager.inflightEvents() === 0);
    resident = manager.residentGuilds();
    evicted = manager.metrics.evictions.get("elsewhere");
  });
  return { resident, evicted };
}

Deno.test("SandboxManager.release stops a busy worker once its running batch ends", async () => {
  const { resident, evicted } = await releaseWhileBusy(false);
  assert.deepEqual(resident, [], "released when its batch ended, not at the idle timeout");
  assert.equal(evicted, 1);
});

Deno.test("SandboxManager.release put off while busy is dropped when the guild comes back", async () => {
  const { resident, evicted } = await releaseWhileBusy(true);
  assert.deepEqual(resident, [GUILD], "its partition is this node's again: the worker stays");
  assert.equal(evicted, 0);
});

Deno.test("SandboxManager.release stops a worker released while it loaded, once loaded", async () => {
  let runsHere = true;
  await withSandboxes(
    new RecordingExecutor(),
    { hooks: { runsEvents: () => runsHere } },
    async (manager) => {
      manager.register(
        testDeployment(GUILD, "d1", `await new Promise((r) => setTimeout(r, 200)); createBot({});`),
      );
      let withdrawn = false;
      // A bus event starts the worker; its partition is handed over while the script loads.
      manager.deliver(GUILD, "messageCreate", message("hi"), undefined, undefined, {
        id: "s:1",
        partition: 0,
        mayHaveRun: false,
        mayStart: () => true,
        mayAct: () => true,
        fenced() {},
        withdrawn: () => withdrawn = true,
      });
      runsHere = false;
      assert.equal(manager.withdraw(() => true), 1);
      assert.equal(manager.release(() => true), 0, "loading: busy");
      assert.deepEqual(manager.residentGuilds(), [GUILD]);
      await until("the release once loaded", () => manager.residentGuilds().length === 0);
      assert.ok(withdrawn);
      assert.equal(manager.metrics.evictions.get("elsewhere"), 1);
    },
  );
});

Deno.test("slash commands are reported for registration in Discord's shape", async () => {
  await withManager(async (manager) => {
    const commands = await manager.load(deployment(
      "d1",
      `createBot({ slashCommands: [slash({ name: "echo", description: "Echo", options: [{ name: "text", description: "what", type: OptionType.String, required: true }], run: () => {} })] });`,
    ));
    assert.deepEqual(commands, [{
      name: "echo",
      description: "Echo",
      type: 1,
      options: [{ type: 3, name: "text", description: "what", required: true }],
    }]);
  });
});

Deno.test("a script that throws at load is reported with its error", async () => {
  await withManager(async (manager) => {
    await assert.rejects(
      () => manager.load(deployment("bad", `throw new Error("no config found");`)),
      (error: Error) =>
        error instanceof ScriptLoadError && error.message.includes("no config found"),
    );
  });
});

Deno.test("a script whose top level never ends is stopped at the load budget", async () => {
  await withManager(async (manager) => {
    await assert.rejects(
      () => manager.load(deployment("loop", `while (true) {}`)),
      (error: Error) =>
        error instanceof ScriptLoadError && error.message.includes("longer than 300 ms"),
    );
  }, { eventTimeoutMs: 300, loadTimeoutMs: 300 });
});

Deno.test("a host refusal reaches the script as an error it can catch", async () => {
  await withManager(async (manager, executor, logs) => {
    const d = deployment(
      "d1",
      `
      createBot({ prefixCommands: [prefix({ name: "x", run: async (ctx) => {
        try { await ctx.reply("hi"); } catch (e) { console.warn("refused:", e.message); }
      } })] });`,
    );
    await manager.load(d);
    manager.activate(d);
    manager.deliver(GUILD, "messageCreate", { ...message("!x"), channel_id: "999" });
    await executor.waitForCalls(1);
    // The warning arrives after the refusal; poll the log briefly.
    for (let i = 0; i < 100 && !logs.recent(GUILD).some((l) => l.level === "warn"); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const warn = logs.recent(GUILD).find((l) => l.level === "warn");
    assert.deepEqual(warn?.message, "refused: channel 999 is not a channel of this guild");
  });
});

Deno.test("a malformed message from a worker is rejected and logged, not fatal", async () => {
  await withManager(async (manager, executor, logs) => {
    const d = deployment(
      "d1",
      `
      const post = globalThis.postMessage.bind(globalThis);
      on("messageCreate", () => { post({ v: 3, type: "call", callId: -1, op: "guild.nuke", args: {} }); post({ nonsense: true }); });
      createBot({ prefixCommands: [prefix({ name: "ok", run: (ctx) => ctx.reply("still here") })] });`,
    );
    await manager.load(d);
    manager.activate(d);
    manager.deliver(GUILD, "messageCreate", message("hello"));
    manager.deliver(GUILD, "messageCreate", message("!ok"));
    await executor.waitForCalls(1);
    assert.deepEqual(
      (executor.calls[0].args as { data: { content: string } }).data.content,
      "still here",
    );
    // The worker's postMessage is locked away from scripts (runtime/sandbox/harden.ts)…
    assert.ok(logs.recent(GUILD).some((l) => l.message.includes("postMessage (use the SDK)")));
    // …and whatever reaches the host anyway is validated there.
    const key = { guildId: GUILD, deploymentId: "d1" };
    manager.workerMessage(key, {
      v: PROTOCOL_VERSION,
      type: "call",
      callId: -1,
      op: "guild.nuke",
      args: {},
    });
    manager.workerMessage(key, { nonsense: true });
    const rejected = logs.recent(GUILD).filter((l) =>
      l.message.includes("rejected a malformed message")
    );
    assert.deepEqual(rejected.length, 2);
  });
});

Deno.test("a guild whose script keeps being stopped waits longer before it restarts", async () => {
  await withManager(async (manager, executor, logs) => {
    const d = deployment(
      "d1",
      `createBot({ prefixCommands: [
        prefix({ name: "spin", run: () => { while (true) {} } }),
        prefix({ name: "ping", run: (ctx) => ctx.reply("pong") }),
      ] });`,
    );
    await manager.load(d);
    manager.activate(d);
    const stops = () =>
      logs.recent(GUILD, 100).filter((l) => /stopped \(timeout\)/.test(l.message));
    for (let i = 1; i <= 3; i++) {
      assert(manager.deliver(GUILD, "messageCreate", message("!spin")));
      await until(`stop ${i}`, () => stops().length === i, 30_000);
    }
    const [first, second, third] = stops().map((l) => l.message);
    assert.match(first, /it restarts with the next event/);
    assert.match(second, /it restarts with the next event/);
    assert.match(third, /stopped too often lately, so it restarts in 1 s at the earliest/);
    const stoppedAt = Date.now();
    assert(manager.deliver(GUILD, "messageCreate", message("!ping")));
    await executor.waitForCalls(1);
    // Only a lower bound: the machine may be slow, never early.
    assert.ok(Date.now() - stoppedAt >= 900, "the restart waited out its back-off");
  }, { eventTimeoutMs: 500, loadTimeoutMs: 5_000 });
});
