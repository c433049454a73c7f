/**
 * The sandbox manager's scheduling against real sandbox processes and
 * workers: lazy start, eviction, backpressure, interaction acknowledgement,
 * hot redeploy and drain. Discord is replaced by an executor that records
 * what scripts asked for (the operations themselves are tested elsewhere).
 */

import assert from "node:assert/strict";
import { MemoryLogBuffer } from "./logs.ts";
import { SandboxManager, type SchedulingOptions } from "./sandboxes.ts";
import {
  type Call,
  messagePayload,
  RecordingExecutor,
  slashPayload,
  testDeployment,
  until,
  withSandboxes,
} from "./test_fixtures.ts";

let nextDeployment = 1;
const deployment = (guildId: string, code: string) =>
  testDeployment(guildId, `d${nextDeployment++}`, code);

const guild = (n: number) => `1000000000000${String(n).padStart(5, "0")}`;

const message = messagePayload;
const slash = slashPayload;

const ECHO = (tag: string) =>
  `createBot({ prefixCommands: [prefix({ name: "echo", run: (ctx) => ctx.reply("${tag} " + ctx.argv.join(" ")) })] });`;

async function withManager(
  options: Partial<SchedulingOptions>,
  fn: (m: SandboxManager, ex: RecordingExecutor, logs: MemoryLogBuffer) => Promise<void>,
) {
  const executor = new RecordingExecutor();
  await withSandboxes(
    executor,
    { manager: options, pool: { heapMb: 256 } },
    (m, _pool, logs) => fn(m, executor, logs),
  );
}

Deno.test("a registered guild starts its worker only on its first event", async () => {
  await withManager({}, async (manager, executor) => {
    for (let i = 0; i < 50; i++) manager.register(deployment(guild(i), ECHO("hi")));
    assert.equal(manager.activeGuilds().length, 50);
    assert.deepEqual(manager.residentGuilds(), []);
    manager.deliver(guild(7), "messageCreate", message(guild(7), "!echo one"));
    manager.deliver(guild(7), "messageCreate", message(guild(7), "!echo two"));
    await executor.waitFor((c) => c.length === 2);
    assert.deepEqual(executor.contents(), ["hi one", "hi two"], "queued during start, in order");
    assert.deepEqual(manager.residentGuilds(), [guild(7)]);
    assert.equal(manager.metrics.coldStarts.get(), 1);
    assert.equal(manager.metrics.coldStartLatency.count, 1);
    while (manager.inflightEvents() > 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(manager.metrics.dispatchLatency.count, 2);
  });
});

Deno.test("a burst of cold starts past the per-process limit all complete", async () => {
  await withManager({ maxConcurrentStarts: 2 }, async (manager, executor) => {
    for (let i = 0; i < 10; i++) manager.register(deployment(guild(i), ECHO(`g${i}`)));
    for (let i = 0; i < 10; i++) {
      manager.deliver(guild(i), "messageCreate", message(guild(i), "!echo x"));
    }
    await executor.waitFor((c) => c.length === 10);
    assert.deepEqual(
      executor.contents().sort(),
      Array.from({ length: 10 }, (_, i) => `g${i} x`).sort(),
    );
    assert.equal(manager.metrics.coldStarts.get(), 10);
  });
});

Deno.test("idle workers are evicted and come back on the next event", async () => {
  await withManager({ idleMs: 100 }, async (manager, executor) => {
    manager.register(deployment(guild(1), ECHO("a")));
    manager.deliver(guild(1), "messageCreate", message(guild(1), "!echo 1"));
    await executor.waitFor((c) => c.length === 1);
    while (manager.residentGuilds().length > 0) await new Promise((r) => setTimeout(r, 20));
    assert.equal(manager.metrics.evictions.get("idle"), 1);
    manager.deliver(guild(1), "messageCreate", message(guild(1), "!echo 2"));
    await executor.waitFor((c) => c.length === 2);
    assert.deepEqual(executor.contents(), ["a 1", "a 2"]);
    assert.equal(manager.metrics.coldStarts.get(), 2);
  });
});

Deno.test("past the resident cap the least recently used idle worker is evicted", async () => {
  await withManager({ maxResident: 2 }, async (manager, executor) => {
    for (let i = 1; i <= 3; i++) manager.register(deployment(guild(i), ECHO(`g${i}`)));
    for (const i of [1, 2, 1, 3]) {
      const before = executor.calls.length;
      manager.deliver(guild(i), "messageCreate", message(guild(i), "!echo x"));
      await executor.waitFor((c) => c.length === before + 1);
      // The handler's reply comes before its `done`; let the worker go idle.
      while (manager.inflightEvents() > 0) await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(manager.residentGuilds().sort(), [guild(1), guild(3)]);
    assert.equal(manager.metrics.evictions.get("lru"), 1);
  });
});

Deno.test("a backlogged guild drops messages (counted) but never interactions", async () => {
  const SLOW = `
    let first = true;
    on("messageCreate", async () => { if (first) { first = false; await new Promise((r) => setTimeout(r, 300)); } });
    const ping = slash({ name: "ping", description: "p", run: (ctx) => ctx.reply("pong") });
    createBot({ slashCommands: [ping] });`;
  await withManager(
    { maxBacklog: 5, maxInflightPerGuild: 1 },
    async (manager, executor) => {
      manager.register(deployment(guild(1), SLOW));
      for (let i = 0; i < 20; i++) {
        manager.deliver(guild(1), "messageCreate", message(guild(1), `m${i}`));
      }
      manager.deliver(guild(1), "interactionCreate", slash(guild(1), "800000000000000001", "ping"));
      assert.deepEqual(manager.droppedEvents(guild(1)), { messageCreate: 15 });
      assert.equal(manager.metrics.eventsDropped.get("messageCreate"), 15);
      // Answered directly, or (on a slow machine) deferred by the host and then edited.
      const answered = (c: Call) =>
        c.args.interactionId === "800000000000000001" &&
        (c.op === "interaction.respond" || c.op === "interaction.editReply") &&
        (c.args.data as { content?: string } | undefined)?.content === "pong";
      await executor.waitFor((calls) => calls.some(answered));
      assert.equal(executor.calls.filter(answered).length, 1);
    },
  );
});

Deno.test("a backlog goes to the worker in batches of droppable events, an interaction alone, in order", async () => {
  const SCRIPT = `
    createBot({
      prefixCommands: [prefix({ name: "echo", run: (ctx) => ctx.reply(ctx.argv.join(" ")) })],
      slashCommands: [slash({ name: "ping", description: "p", run: (ctx) => ctx.reply("pong") })],
    });`;
  await withManager({}, async (manager, executor) => {
    const batches: number[][] = [];
    const started = manager.eventsStarted.bind(manager);
    manager.eventsStarted = (key, ids) => {
      batches.push(ids);
      started(key, ids);
    };
    manager.register(deployment(guild(1), SCRIPT));
    // All of these wait for the cold start, so they reach the worker as a backlog.
    for (let i = 0; i < 30; i++) {
      manager.deliver(guild(1), "messageCreate", message(guild(1), `!echo a${i}`));
    }
    manager.deliver(guild(1), "interactionCreate", slash(guild(1), "800000000000000002", "ping"));
    for (let i = 0; i < 30; i++) {
      manager.deliver(guild(1), "messageCreate", message(guild(1), `!echo b${i}`));
    }
    await executor.waitFor((calls) => calls.length >= 61);
    const range = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i);
    assert.deepEqual(batches, [range(1, 30), [31], range(32, 61)]);
    const expected = [
      ...range(0, 29).map((i) => `a${i}`),
      "pong",
      ...range(0, 29).map((i) => `b${i}`),
    ];
    assert.deepEqual(executor.contents(), expected);
    // Every event is reported done once its reply call returned.
    while (manager.inflightEvents() > 0) await new Promise((r) => setTimeout(r, 10));
  });
});

Deno.test("a slow interaction is deferred by the host and the answer edits the reply", async () => {
  const SLOW = `
    const slow = slash({ name: "slow", description: "s", run: async (ctx) => {
      await new Promise((r) => setTimeout(r, 600));
      await ctx.reply("done at last");
    } });
    createBot({ slashCommands: [slow] });`;
  await withManager({ interactionAckMs: 100 }, async (manager, executor) => {
    manager.register(deployment(guild(1), SLOW));
    manager.deliver(guild(1), "interactionCreate", slash(guild(1), "800000000000000002", "slow"));
    await executor.waitFor((c) => c.length === 2);
    assert.deepEqual(executor.calls.map((c) => [c.op, c.args]), [
      ["interaction.respond", { interactionId: "800000000000000002", type: 5 }],
      ["interaction.editReply", {
        interactionId: "800000000000000002",
        data: { content: "done at last" },
      }],
    ]);
    assert.equal(manager.metrics.interactionsDeferred.get(), 1);
  });
});

Deno.test("a guild whose script cannot start answers interactions with an ephemeral error", async () => {
  await withManager({}, async (manager, executor, logs) => {
    manager.register(deployment(guild(1), `throw new Error("boom at start");`));
    manager.deliver(guild(1), "interactionCreate", slash(guild(1), "800000000000000003", "x"));
    await executor.waitFor((c) => c.length === 1);
    const [call] = executor.calls;
    assert.equal(call.op, "interaction.respond");
    assert.equal(call.args.type, 4);
    const data = call.args.data as { content: string; flags: number };
    assert.equal(data.flags, 64);
    assert.match(data.content, /failed to start/);
    assert.ok(logs.recent(guild(1)).some((l) => l.message.includes("boom at start")));
  });
});

Deno.test("hot redeploy: every event is handled exactly once, the new version after the switch", async () => {
  await withManager({}, async (manager, executor) => {
    const v1 = deployment(guild(1), ECHO("v1"));
    manager.register(v1);
    let sent = 0;
    const send = (n: number) => {
      for (let i = 0; i < n; i++) {
        manager.deliver(guild(1), "messageCreate", message(guild(1), `!echo ${sent++}`));
      }
    };
    send(50); // cold-starts v1
    const v2 = deployment(guild(1), ECHO("v2"));
    const loading = manager.load(v2);
    send(50); // v1 still serves while v2 loads beside it
    await loading;
    send(10);
    manager.activate(v2);
    const switchedAt = sent;
    send(50);
    await executor.waitFor((c) => c.length === sent);
    await new Promise((r) => setTimeout(r, 100)); // any duplicate would arrive now
    const seen = executor.contents().map((c) => c.split(" "));
    assert.equal(seen.length, sent, "no event lost or duplicated");
    assert.deepEqual(
      seen.map(([, n]) => Number(n)).sort((a, b) => a - b),
      Array.from({ length: sent }, (_, i) => i),
    );
    for (const [version, n] of seen) {
      if (Number(n) >= switchedAt) assert.equal(version, "v2", `event ${n} after the switch`);
    }
  });
});

Deno.test("events for an evicted guild wait for a redeploy in progress and go to the new version", async () => {
  await withManager({}, async (manager, executor) => {
    manager.register(deployment(guild(1), ECHO("v1")));
    const v2 = deployment(guild(1), ECHO("v2"));
    const loading = manager.load(v2);
    for (let i = 0; i < 5; i++) {
      manager.deliver(guild(1), "messageCreate", message(guild(1), `!echo ${i}`));
    }
    await loading;
    assert.equal(manager.metrics.coldStarts.get(), 0, "the old version was not started for them");
    manager.activate(v2);
    await executor.waitFor((c) => c.length === 5);
    assert.deepEqual(executor.contents(), ["v2 0", "v2 1", "v2 2", "v2 3", "v2 4"]);
  });
});

Deno.test("a failed redeploy hands held events to the running version", async () => {
  await withManager({}, async (manager, executor) => {
    manager.register(deployment(guild(1), ECHO("v1")));
    const broken = manager.load(deployment(guild(1), `throw new Error("nope");`));
    manager.deliver(guild(1), "messageCreate", message(guild(1), "!echo held"));
    await assert.rejects(broken, /nope/);
    await executor.waitFor((c) => c.length === 1);
    assert.deepEqual(executor.contents(), ["v1 held"]);
  });
});

Deno.test("drain lets in-flight handlers finish and stops intake", async () => {
  const SLOW = `
    on("messageCreate", async (m) => { await new Promise((r) => setTimeout(r, 200)); });
    const ping = slash({ name: "ping", description: "p", run: (ctx) => ctx.reply("pong") });
    createBot({ slashCommands: [ping] });`;
  await withManager({}, async (manager, executor) => {
    manager.register(deployment(guild(1), SLOW));
    for (let i = 0; i < 3; i++) manager.deliver(guild(1), "messageCreate", message(guild(1), "x"));
    const drained = manager.drain(5_000);
    manager.deliver(guild(1), "interactionCreate", slash(guild(1), "800000000000000004", "ping"));
    assert.deepEqual(await drained, { abandoned: 0 });
    assert.equal(manager.inflightEvents(), 0);
    const [call] = executor.calls;
    assert.equal(call.op, "interaction.respond");
    assert.match((call.args.data as { content: string }).content, /restarting/);
  });
});

Deno.test("drain past its deadline answers unanswered interactions", async () => {
  const STUCK = `
    const wait = slash({ name: "wait", description: "w", run: () => new Promise((r) => setTimeout(r, 3_000)) });
    createBot({ slashCommands: [wait] });`;
  await withManager({ interactionAckMs: 2_000 }, async (manager, executor) => {
    manager.register(deployment(guild(1), STUCK));
    manager.deliver(guild(1), "interactionCreate", slash(guild(1), "800000000000000005", "wait"));
    while (manager.inflightEvents() === 0) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await manager.drain(50), { abandoned: 1 });
    await executor.waitFor((c) => c.length === 1);
    assert.match(
      (executor.calls[0].args.data as { content: string }).content,
      /restarting; please try again/,
    );
  });
});

Deno.test("a batch mixing gateway frames and plain payloads reaches the script whole, in order", async () => {
  await withManager({}, async (manager, executor) => {
    const id = guild(60);
    manager.register(deployment(id, ECHO("m")));
    // Both wait for the cold start, then go in one batch: the framed one as its frame's data.
    const framed = message(id, "!echo framed");
    const frame = JSON.stringify({ op: 0, t: "MESSAGE_CREATE", s: 1, d: framed });
    manager.deliver(id, "messageCreate", framed, undefined, frame);
    manager.deliver(id, "messageCreate", message(id, "!echo plain"));
    await until("both replies", () => executor.calls.length === 2);
    assert.deepEqual(executor.contents(), ["m framed", "m plain"]);
  });
});

Deno.test("framed events reach the script from their frames, and a frame that cannot ride raw goes as its value", async () => {
  await withManager({}, async (manager, executor) => {
    const id = guild(61);
    manager.register(deployment(id, ECHO("m")));
    const send = (content: string, s: number, indent?: number) => {
      const d = message(id, `!echo ${content}`);
      manager.deliver(
        id,
        "messageCreate",
        d,
        undefined,
        JSON.stringify({ op: 0, s, d }, null, indent),
      );
    };
    send("first", 1);
    await until("the first reply", () => executor.calls.length === 1);
    // Once warm: a pretty-printed frame (newlines) among compact ones, in one queue.
    send("second", 2);
    send("pretty", 3, 2);
    send("third", 4);
    await until("every reply", () => executor.calls.length === 4);
    assert.deepEqual(executor.contents(), ["m first", "m second", "m pretty", "m third"]);
  });
});
