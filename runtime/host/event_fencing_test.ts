/**
 * Fencing past a script's own calls for a bus event: the host's answers to
 * a bus event's interaction (its deferral past `interactionAckMs`, its error
 * answers), and a cron or task run's calls (fenced by the partition tenure it
 * fired under). Real sandbox workers, the emulator as Discord, a partition
 * lease on the test NATS server whose clock the test moves.
 */

import assert from "node:assert/strict";
import { startEmulator } from "../../emulator/mod.ts";
import { EmulatorClient } from "../../emulator/client.ts";
import type { Emulator } from "../../emulator/mod.ts";
import { natsGate } from "../../storage/testing/servers.ts";
import { clockedLeases, type ManualClock, natsTest, withNatsBucket } from "../cluster/testing.ts";
import type { LeaseTable } from "../cluster/leases.ts";
import { DiscordOperations, type DiscordRest } from "./discord_operations.ts";
import { createGateway } from "./gateway.ts";
import { GuildDirectory } from "./guild_directory.ts";
import type { EffectTenure, Handover } from "./guild_queue.ts";
import { InteractionRegistry } from "./interactions.ts";
import type { MemoryLogBuffer } from "./logs.ts";
import type { GuildServices } from "./operations/context.ts";
import { type FenceableRest, fenceRestSends } from "./operations/discord_request.ts";
import type { SandboxManager } from "./sandboxes.ts";
import { testDeployment, until, withSandboxes } from "./test_fixtures.ts";

const gate = await natsGate();
const TIMING = { ttlMs: 6_000, skewMs: 1_000, safetyMs: 1_000 };

/** A slash command whose handler takes 1.2 s, then replies (past an ack timer of 300 ms). */
const SLOW = `
  const slow = slash({ name: "slow", description: "s", run: async (ctx) => {
    await new Promise((r) => setTimeout(r, 1_200));
    await ctx.reply("done at last");
  } });
  createBot({ slashCommands: [slow] });`;

/** A cron job that posts to the guild's general channel ("CHANNEL" is replaced). */
const CRON = `
  cron("tick", "*/5 * * * *", async () => {
    await discord.sendMessage("CHANNEL", "tick");
  });
  createBot({});`;

interface Cluster {
  emu: Emulator;
  /** The partition tenure cron and task runs get (`ManagerHooks.tenure`), held by the lease. */
  tenure: EffectTenure;
  manager: SandboxManager;
  logs: MemoryLogBuffer;
  clock: ManualClock;
  guildId: string;
  /** A user runs `/slow`: the emulator's interaction, delivered to the manager as a bus event. */
  invoke(
    before?: (interaction: { id: string; token: string }) => Promise<void>,
  ): Promise<{ id: string; handover: Handover & { refusals: number }; settled: boolean }>;
}

/**
 * Runs `fn` with a sandbox manager whose operations go to an emulator through a fenced REST
 * manager (as on a cluster runtime node), and a partition lease held on the NATS server.
 */
function withCluster(
  code: string,
  fn: (cluster: Cluster) => Promise<void>,
  interactionAckMs = 300,
): Promise<void> {
  return withNatsBucket(async (kv) => {
    const { clock, tables: [leases] } = clockedLeases(kv, TIMING, "node-a");
    const lease = (await leases.acquire("partition.3"))!;
    const emu = await startEmulator({ port: 0 });
    try {
      const bot = createGateway({ token: emu.token, restBase: emu.restBase, onPayload: () => {} });
      fenceRestSends(bot.rest as unknown as FenceableRest);
      const registry = new InteractionRegistry();
      const guild = emu.seeded!.guilds[0];
      const directory = new GuildDirectory(() => Promise.resolve(null));
      directory.addGuild({ id: guild.id, channels: [{ id: guild.channels.general }] });
      const operations = new DiscordOperations(
        bot.rest as unknown as DiscordRest,
        directory,
        registry,
        {} as GuildServices, // Discord calls only: no store is touched
      );
      const tenure = partitionHandover(leases, lease);
      const control = new EmulatorClient(emu.url);
      await operations.request(
        "PUT",
        `/applications/${emu.applicationId}/guilds/${guild.id}/commands`,
        { body: [{ name: "slow", description: "s" }] },
      );
      await withSandboxes(
        operations,
        {
          manager: { interactionAckMs },
          pool: { heapMb: 256 },
          hooks: { tenure: () => tenure },
        },
        async (manager, _pool, logs) => {
          manager.register(
            testDeployment(guild.id, "d1", code.replace("CHANNEL", guild.channels.general)),
          );
          await fn({
            emu,
            tenure,
            manager,
            logs,
            clock,
            guildId: guild.id,
            async invoke(before) {
              const { interactionId } = await control.invokeSlash({
                guildId: guild.id,
                channelId: guild.channels.general,
                userId: emu.seeded!.users.member,
                name: "slow",
              });
              const payload = structuredClone(
                emu.state.interactions.get(interactionId)!.interaction,
              ) as { id: string; token: string; guild_id: string };
              registry.record(payload);
              await before?.(payload);
              const event = {
                id: interactionId,
                handover: partitionHandover(leases, lease),
                settled: false,
              };
              manager.deliver(
                guild.id,
                "interactionCreate",
                payload,
                () => event.settled = true,
                undefined,
                event.handover,
              );
              return event;
            },
          });
        },
      );
    } finally {
      await emu.close();
    }
  });
}

/** The bus event's tie to partition 3, valid while this node's lease is (as `partition_intake.ts`). */
function partitionHandover(
  leases: LeaseTable,
  lease: Parameters<LeaseTable["isValid"]>[0],
): Handover & { refusals: number } {
  return {
    id: "s:1",
    partition: 3,
    mayHaveRun: false,
    mayStart: () => leases.isValid(lease),
    mayAct: () => leases.isValid(lease),
    refusals: 0,
    fenced() {
      this.refusals++;
    },
    withdrawn() {},
  };
}

Deno.test({
  ...natsTest(gate),
  name:
    `Interaction acks: a lease held, the host's deferral reaches Discord and the answer edits it${gate.note}`,
  fn: () =>
    withCluster(SLOW, async ({ emu, manager, invoke }) => {
      const event = await invoke();
      await until("the handler's end", () => event.settled);
      const record = emu.state.interactions.get(event.id)!;
      assert.equal(record.responseType, 5, "deferred by the host");
      assert.deepEqual(
        record.responses.map((r) => r.kind),
        ["callback", "edit"],
        "the script's answer became an edit of the deferred reply",
      );
      assert.equal(manager.metrics.interactionsDeferred.get(), 1);
      assert.equal(manager.metrics.effectsFenced.get("interaction.respond"), 0);
      assert.equal(event.handover.refusals, 0);
    }),
});

Deno.test({
  ...natsTest(gate),
  name:
    `Interaction acks: a lease lost before the ack timer, no deferral (nor answer) reaches Discord${gate.note}`,
  fn: () =>
    withCluster(SLOW, async ({ emu, manager, logs, clock, guildId, invoke }) => {
      const event = await invoke();
      // Paused past the lease before the 300 ms timer fires: the next owner answers it now.
      clock.advance(TIMING.ttlMs);
      await until("the handler's end", () => event.settled);
      const record = emu.state.interactions.get(event.id)!;
      assert.equal(record.responseType, null, "nothing acknowledged it from this node");
      assert.deepEqual(record.responses, []);
      // The host's deferral, then the script's own reply (an initial response again, since
      // nothing was acknowledged): both refused unsent, counted, the event left unacked.
      assert.equal(manager.metrics.effectsFenced.get("interaction.respond"), 2);
      assert.equal(event.handover.refusals, 2);
      assert.ok(
        logs.recent(guildId).some((l) =>
          l.level === "warn" &&
          l.message.includes(`did not send its own answer to interaction ${event.id}`) &&
          l.message.includes(`lost guild ${guildId}'s partition 3`)
        ),
        "the guild's log says why flora did not acknowledge it",
      );
    }),
});

Deno.test({
  ...natsTest(gate),
  name:
    `Interaction acks: a script that cannot start sends no error answer once the lease is lost${gate.note}`,
  fn: () =>
    withCluster(`throw new Error("boom at start");`, async ({ emu, manager, clock, invoke }) => {
      clock.advance(TIMING.ttlMs);
      const event = await invoke();
      await until("the error answer", () => manager.metrics.interactionsFailed.get() === 1);
      // Refused at once: the error answer, after the deferral when the 300 ms timer fired
      // before the load failed (a loaded machine).
      assert.equal(
        manager.metrics.effectsFenced.get("interaction.respond"),
        1 + manager.metrics.interactionsDeferred.get(),
      );
      const record = emu.state.interactions.get(event.id)!;
      assert.equal(record.responseType, null);
      assert.deepEqual(record.responses, []);
    }),
});

Deno.test({
  ...natsTest(gate),
  name:
    `Interaction acks: a script that cannot start answers with an error while the lease is held${gate.note}`,
  fn: () =>
    withCluster(`throw new Error("boom at start");`, async ({ emu, manager, invoke }) => {
      const event = await invoke();
      const record = emu.state.interactions.get(event.id)!;
      // The error answer itself, or an edit of the deferral when the 300 ms timer fired before
      // the load failed (a loaded machine).
      await until(
        "the error answer",
        () => record.responses.some((r) => JSON.stringify(r.body).includes("failed to start")),
      );
      const deferred = manager.metrics.interactionsDeferred.get();
      assert.deepEqual(
        record.responses.map((r) => r.kind),
        deferred ? ["callback", "edit"] : ["callback"],
      );
      assert.equal(record.responseType, deferred ? 5 : 4);
      assert.equal(manager.metrics.effectsFenced.get("interaction.respond"), 0);
    }),
});

Deno.test({
  ...natsTest(gate),
  name:
    `Interaction acks: deferred by an earlier run elsewhere, the script's answer edits that deferral${gate.note}`,
  fn: () =>
    withCluster(
      `createBot({ slashCommands: [slash({ name: "slow", description: "s", run: (ctx) => ctx.reply("pong") })] });`,
      async ({ emu, manager, invoke }) => {
        const event = await invoke(async ({ id, token }) => {
          // The previous owner's host deferred it before the node died (not journaled).
          const response = await fetch(`${emu.restBase}/v10/interactions/${id}/${token}/callback`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ type: 5 }),
          });
          assert.equal(response.status, 204);
          await response.body?.cancel();
        });
        await until("the handler's end", () => event.settled);
        const record = emu.state.interactions.get(event.id)!;
        assert.deepEqual(record.responses.map((r) => r.kind), ["callback", "edit"]);
        assert.equal(JSON.stringify(record.responses[1].body).includes("pong"), true);
        assert.equal(manager.metrics.interactionsDeferred.get(), 0, "not by this host");
      },
      5_000, // the script answers first, however slow its cold start
    ),
});

/** Delivers a `tick` cron run and waits for its handler's end. */
async function runCron(manager: SandboxManager, guildId: string): Promise<void> {
  let settled = false;
  const at = new Date().toISOString();
  manager.deliver(
    guildId,
    "cron",
    { name: "tick", scheduledAt: at, firedAt: Date.now() },
    () => settled = true,
  );
  await until("the cron run's end", () => settled);
}

/** The messages the bot posted in the guild's general channel. */
function posted(emu: Emulator): string[] {
  return emu.actions.list({}).filter((a) => a.route === "POST /channels/:id/messages")
    .map((a) => String((a.body as { content?: unknown })?.content));
}

Deno.test({
  ...natsTest(gate),
  name: `Cron runs: a lease held, the run's message reaches Discord${gate.note}`,
  fn: () =>
    withCluster(CRON, async ({ emu, manager, guildId }) => {
      await runCron(manager, guildId);
      assert.deepEqual(posted(emu), ["tick"]);
      assert.equal(manager.metrics.effectsFenced.get("message.send"), 0);
    }),
});

Deno.test({
  ...natsTest(gate),
  name:
    `Cron runs: fired under a lease since lost, the run's message is refused unsent${gate.note}`,
  fn: () =>
    withCluster(CRON, async ({ emu, manager, logs, clock, guildId, tenure }) => {
      clock.advance(TIMING.ttlMs); // paused past the lease: the next owner runs the guild now
      assert.equal(tenure.mayAct(), false);
      await runCron(manager, guildId);
      assert.deepEqual(posted(emu), []);
      assert.equal(manager.metrics.effectsFenced.get("message.send"), 1);
      assert.ok(
        logs.recent(guildId).some((l) =>
          /Error in cron handler: .*message\.send: this node lost guild \d+'s partition 3/.test(
            l.message,
          )
        ),
        "the handler's error says why",
      );
    }),
});
