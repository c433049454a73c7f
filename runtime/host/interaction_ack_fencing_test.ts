/**
 * The host's own answers to a cluster bus event's interaction (its deferral
 * past `interactionAckMs`, its error answers) are fenced like the script's
 * calls: real sandbox workers, the emulator as Discord, a partition lease on
 * the test NATS server whose clock the test moves.
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
import type { Handover } from "./guild_queue.ts";
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

interface Cluster {
  emu: Emulator;
  manager: SandboxManager;
  logs: MemoryLogBuffer;
  clock: ManualClock;
  guildId: string;
  /** A user runs `/slow`: the emulator's interaction, delivered to the manager as a bus event. */
  invoke(): Promise<{ id: string; handover: Handover & { refusals: number }; settled: boolean }>;
}

/**
 * Runs `fn` with a sandbox manager whose operations go to an emulator through a fenced REST
 * manager (as on a cluster runtime node), and a partition lease held on the NATS server.
 */
function withCluster(code: string, fn: (cluster: Cluster) => Promise<void>): Promise<void> {
  return withNatsBucket(async (kv) => {
    const { clock, tables: [leases] } = clockedLeases(kv, TIMING, "node-a");
    const lease = (await leases.acquire("partition.3"))!;
    const emu = await startEmulator({ port: 0 });
    try {
      const bot = createGateway({ token: emu.token, restBase: emu.restBase, onPayload: () => {} });
      fenceRestSends(bot.rest as unknown as FenceableRest);
      const registry = new InteractionRegistry();
      const operations = new DiscordOperations(
        bot.rest as unknown as DiscordRest,
        new GuildDirectory(() => Promise.resolve(null)),
        registry,
        {} as GuildServices, // interactions only: no store is touched
      );
      const guild = emu.seeded!.guilds[0];
      const control = new EmulatorClient(emu.url);
      await operations.request(
        "PUT",
        `/applications/${emu.applicationId}/guilds/${guild.id}/commands`,
        { body: [{ name: "slow", description: "s" }] },
      );
      await withSandboxes(
        operations,
        { manager: { interactionAckMs: 300 }, pool: { heapMb: 256 } },
        async (manager, _pool, logs) => {
          manager.register(testDeployment(guild.id, "d1", code));
          await fn({
            emu,
            manager,
            logs,
            clock,
            guildId: guild.id,
            async invoke() {
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
      await until(
        "the error answer's refusal",
        () => manager.metrics.effectsFenced.get("interaction.respond") === 1,
      );
      assert.equal(manager.metrics.interactionsFailed.get(), 1);
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
      await until(
        "the error answer",
        () => emu.state.interactions.get(event.id)!.responseType !== null,
      );
      const record = emu.state.interactions.get(event.id)!;
      assert.equal(record.responseType, 4);
      assert.match(
        String((record.responses[0].body as { data?: { content?: string } }).data?.content),
        /failed to start/,
      );
      assert.equal(manager.metrics.effectsFenced.get("interaction.respond"), 0);
    }),
});
