/**
 * Fencing of the calls a worker makes for no event (`stray_calls.ts`): a
 * handler starts a timer and returns; the timer's message lands only while
 * this node still holds the guild's partition. Real sandbox workers, the
 * emulator as Discord, a runtime node's partition intake on the test NATS
 * server (its leases on a clock the test moves), bus events routed as on a
 * runtime node.
 */

import assert from "node:assert/strict";
import { startEmulator } from "../../emulator/mod.ts";
import { EmulatorClient } from "../../emulator/client.ts";
import type { Emulator } from "../../emulator/mod.ts";
import { natsGate, postgresGate, uniqueName } from "../../storage/testing/servers.ts";
import { withPostgresSchema } from "../../storage/postgres/testing.ts";
import { EventPublisher, removeEventBus } from "../cluster/event_bus.ts";
import type { PartitionIntake } from "../cluster/partition_intake.ts";
import { partitionOf } from "../cluster/partitions.ts";
import {
  type ManualClock,
  ManualClock as Clock,
  natsTest,
  startHandTickedIntake,
  withNats,
} from "../cluster/testing.ts";
import { DiscordOperations, type DiscordRest } from "./discord_operations.ts";
import { EffectJournaling } from "./effect_journaling.ts";
import { EventRouter } from "./event_router.ts";
import { createGateway } from "./gateway.ts";
import { GuildDirectory } from "./guild_directory.ts";
import { InteractionRegistry } from "./interactions.ts";
import type { MemoryLogBuffer } from "./logs.ts";
import type { GuildServices } from "./operations/context.ts";
import { type FenceableRest, fenceRestSends } from "./operations/discord_request.ts";
import type { SandboxManager } from "./sandboxes.ts";
import { messagePayload, testDeployment, until, withSandboxes } from "./test_fixtures.ts";

const gate = await natsGate();
const pgGate = await postgresGate();

/**
 * On `arm`, a timer that outlives the handler: it polls the channel (reads are not fenced)
 * until someone says `go`, then posts `late` ("CHANNEL" is replaced).
 */
const TIMER = `
  on("messageCreate", (m) => {
    if (m.content !== "arm") return;
    setTimeout(async function poll() {
      const recent = await discord.getMessages("CHANNEL", { limit: 10 });
      if (recent.some((r) => r.content === "go")) await discord.sendMessage("CHANNEL", "late");
      else setTimeout(poll, 50);
    }, 50);
  });
  createBot({});`;

interface TestGuild {
  id: string;
  channel: string;
  owner: string;
}

interface Node {
  emu: Emulator;
  manager: SandboxManager;
  logs: MemoryLogBuffer;
  clock: ManualClock;
  intake: PartitionIntake;
  /** Guilds on partitions 0 and 1 of the bus's two. */
  guilds: [TestGuild, TestGuild];
  /** Publishes `arm` to the guild's partition; resolves once its handler returned here. */
  arm(guild: TestGuild): Promise<void>;
  /**
   * Publishes a member's message to the guild's partition: its bus event's id, and whether its
   * handler returned here yet.
   */
  publish(guild: TestGuild, content: string): Promise<{ id: string; returned(): boolean }>;
  /** A member says `go`: the guild's timer posts now. */
  go(guild: TestGuild): Promise<void>;
  /** Another node joins: this one hands it partition 1 (its surplus, drained first). */
  handOver(): Promise<void>;
}

/** The bot's messages in the guild's channel. */
function posted(emu: Emulator, guild: TestGuild): string[] {
  return emu.actions.list({}).filter((a) =>
    a.route === "POST /channels/:id/messages" && a.path.includes(guild.channel)
  ).map((a) => String((a.body as { content?: unknown })?.content));
}

/**
 * Runs `fn` with a runtime node: a sandbox manager whose calls go to an emulator through a
 * fenced REST manager, fed by a two-partition intake that owns both partitions, each guild
 * running `code`. The intake releases no workers (`release` unset): a timer's worker stays, so
 * what stops its call is the fence alone. `effects`: the bus events' effect journal, if any.
 */
function withNode(
  code: string,
  fn: (node: Node) => Promise<void>,
  effects?: EffectJournaling,
): Promise<void> {
  return withNats(async (nc) => {
    const prefix = uniqueName("stray");
    const emu = await startEmulator({ port: 0 });
    const control = new EmulatorClient(emu.url);
    const others: PartitionIntake[] = [];
    try {
      const guilds: (TestGuild | undefined)[] = [undefined, undefined];
      for (let i = 0; i < 40 && guilds.some((g) => !g); i++) {
        const made = await control.createGuild({ name: `g${i}`, channels: ["general"] });
        const p = partitionOf(made.id, 2);
        guilds[p] ??= { id: made.id, channel: made.channels[0].id, owner: made.ownerId };
      }
      assert.ok(guilds[0] && guilds[1], "a guild on each partition");
      const bot = createGateway({ token: emu.token, restBase: emu.restBase, onPayload: () => {} });
      fenceRestSends(bot.rest as unknown as FenceableRest);
      const directory = new GuildDirectory(() => Promise.resolve(null));
      for (const g of guilds) directory.addGuild({ id: g!.id, channels: [{ id: g!.channel }] });
      const registry = new InteractionRegistry();
      const operations = new DiscordOperations(
        bot.rest as unknown as DiscordRest,
        directory,
        registry,
        {} as GuildServices, // Discord calls only: no store is touched
      );
      const clock = new Clock(Date.now());
      let intake: PartitionIntake | undefined;
      await withSandboxes(
        operations,
        {
          pool: { heapMb: 256 },
          hooks: {
            // As flora.ts wires a runtime node.
            tenure: (guildId) => intake!.tenure(guildId),
            runsEvents: (guildId) => intake?.owns(guildId) ?? false,
            effects,
          },
        },
        async (manager, _pool, logs) => {
          const router = new EventRouter(manager, directory, registry);
          const returned = new Set<string>();
          intake = await startHandTickedIntake(nc, prefix, clock, {
            partitions: 2,
            route: (payload, shard, settled, handover, frame) =>
              router.route(
                payload,
                shard,
                () => {
                  returned.add(String((payload.d as { id: string }).id));
                  settled();
                },
                frame,
                handover,
              ),
            withdraw: (which) => manager.withdraw(which),
          });
          try {
            assert.equal(intake.ownership.owned().size, 2);
            for (const g of guilds) {
              manager.register(
                testDeployment(g!.id, `d-${g!.id}`, code.replaceAll("CHANNEL", g!.channel)),
              );
            }
            const publisher = new EventPublisher(nc, { prefix, partitions: 2 });
            let seq = 0;
            const publish = async (guild: TestGuild, content: string) => {
              const s = ++seq;
              const d = {
                ...messagePayload(guild.id, content),
                id: `7${s}`,
                channel_id: guild.channel,
              };
              const id = `session:${s}`;
              await publisher.publish({
                id,
                guildId: guild.id,
                payload: { op: 0, t: "MESSAGE_CREATE", s, d },
              });
              return { id, returned: () => returned.has(d.id) };
            };
            await fn({
              emu,
              manager,
              logs,
              clock,
              intake,
              guilds: guilds as [TestGuild, TestGuild],
              async arm(guild) {
                const armed = await publish(guild, "arm");
                await until("the arm handler's end", armed.returned);
              },
              publish,
              async go(guild) {
                await control.sendMessage({
                  guildId: guild.id,
                  channelId: guild.channel,
                  userId: guild.owner,
                  content: "go",
                });
              },
              async handOver() {
                others.push(
                  await startHandTickedIntake(nc, prefix, clock, {
                    partitions: 2,
                    nodeId: "node-b",
                  }),
                );
                await intake!.ownership.rebalance(); // sees node-b: drains partition 1, hands it over
                assert.deepEqual([...intake!.ownership.owned().keys()], [0]);
              },
            });
          } finally {
            await intake.close();
          }
        },
      );
    } finally {
      for (const other of others) await other.close();
      await removeEventBus(nc, prefix);
      await emu.close();
    }
  });
}

/** The guild's log has the host's line for a refused call made for no event. */
function refusalLogged(logs: MemoryLogBuffer, guild: TestGuild, partition: number): boolean {
  return logs.recent(guild.id).some((l) =>
    l.level === "warn" &&
    l.message.includes("flora: refused a call made for no event: EffectFenced: message.send") &&
    l.message.includes(`lost guild ${guild.id}'s partition ${partition}`)
  );
}

Deno.test({
  ...natsTest(gate),
  name: `Calls made for no event: the partition held, a timer's message lands${gate.note}`,
  fn: () =>
    withNode(TIMER, async ({ emu, manager, guilds: [g], arm, go }) => {
      await arm(g);
      await go(g);
      await until("the timer's message", () => posted(emu, g).length === 1);
      assert.deepEqual(posted(emu, g), ["late"]);
      assert.equal(manager.metrics.effectsFenced.get("message.send"), 0);
    }),
});

Deno.test({
  ...natsTest(gate),
  name:
    `Calls made for no event: the lease lapsed after the handler returned, a timer's message is refused${gate.note}`,
  fn: () =>
    withNode(TIMER, async ({ emu, manager, logs, clock, guilds: [g], arm, go }) => {
      await arm(g);
      // Paused past the lease (SIGSTOP): the timer fires on waking, before any renewal says so.
      clock.advance(8_000);
      await go(g);
      await until(
        "the timer's call",
        () => manager.metrics.effectsFenced.get("message.send") === 1 || posted(emu, g).length > 0,
      );
      assert.deepEqual(posted(emu, g), []);
      await until("the guild's log line", () => refusalLogged(logs, g, 0));
      assert.equal(manager.metrics.effectsFenced.get("message.send"), 1);
    }),
});

Deno.test({
  ...natsTest(gate),
  name:
    `Calls made for no event: guild A's partition handed over fences A's timer, not guild B's on the partition kept${gate.note}`,
  fn: () =>
    withNode(TIMER, async ({ emu, manager, logs, guilds: [kept, moved], arm, go, handOver }) => {
      await arm(kept);
      await arm(moved);
      await handOver();
      await go(moved);
      await go(kept);
      await until("the kept guild's message", () => posted(emu, kept).length === 1);
      await until(
        "the moved guild's timer call",
        () => refusalLogged(logs, moved, 1) || posted(emu, moved).length > 0,
      );
      assert.deepEqual(posted(emu, kept), ["late"]);
      assert.deepEqual(posted(emu, moved), []);
      assert.equal(manager.metrics.effectsFenced.get("message.send"), 1);
      assert.equal(refusalLogged(logs, kept, 0), false);
    }),
});

Deno.test({
  ...natsTest(gate),
  name:
    `Calls made for no event: a deploy's top-level call lands on a node that does not own the guild${gate.note}`,
  fn: () =>
    withNode(TIMER, async ({ emu, manager, guilds: [, moved], intake, handOver }) => {
      await handOver();
      assert.equal(intake.owns(moved.id), false);
      const d = testDeployment(
        moved.id,
        "d-top",
        `await discord.sendMessage("${moved.channel}", "deployed"); createBot({});`,
        "pending",
      );
      await manager.load(d);
      manager.activate(d);
      assert.deepEqual(posted(emu, moved), ["deployed"]);
      assert.equal(manager.metrics.effectsFenced.get("message.send"), 0);
      assert.deepEqual(manager.residentGuilds(), [], "run elsewhere: its worker released");
    }),
});

/**
 * `arm` as in {@link TIMER}; `wait` posts `b1`, awaits (a timer of its own between polls) until
 * the armed timer posted `late`, then posts `b2`.
 */
const TIMER_DURING_WAIT = `
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const seen = async (content) =>
    (await discord.getMessages("CHANNEL", { limit: 10 })).some((r) => r.content === content);
  on("messageCreate", async (m) => {
    if (m.content === "arm") {
      setTimeout(async function poll() {
        if (await seen("go")) await discord.sendMessage("CHANNEL", "late");
        else setTimeout(poll, 50);
      }, 50);
    }
    if (m.content !== "wait") return;
    await discord.sendMessage("CHANNEL", "b1");
    while (!(await seen("late"))) await sleep(50);
    await discord.sendMessage("CHANNEL", "b2");
  });
  createBot({});`;

Deno.test({
  ...natsTest(gate),
  ignore: gate.ignore || pgGate.ignore,
  name:
    `Calls made for no event: a timer left by event A that fires while B's handler awaits is not journaled as B's step${gate.note}${pgGate.note}`,
  fn: () =>
    withPostgresSchema(async (storage) => {
      const journaling = new EffectJournaling(storage.effects, { kvJoins: true });
      await withNode(TIMER_DURING_WAIT, async ({ emu, manager, guilds: [g], arm, publish, go }) => {
        await arm(g);
        const waiting = await publish(g, "wait");
        await until("B's first message", () => posted(emu, g).includes("b1"));
        assert.equal(waiting.returned(), false, "B's handler awaits");
        await go(g);
        await until("B's end", waiting.returned);
        assert.deepEqual(posted(emu, g), ["b1", "late", "b2"]);
        await journaling.recorded();
        // B's own two messages, from its awaits and its own timers; not A's timer's message.
        const steps = await storage.effects.recorded(g.id, waiting.id);
        assert.deepEqual(
          [...steps.keys()].sort(),
          [0, 1],
          "B's journal holds its own two calls",
        );
        assert.equal(manager.metrics.effectsFenced.get("message.send"), 0);
      }, journaling);
    }),
});
