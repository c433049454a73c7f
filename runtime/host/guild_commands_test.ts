import assert from "node:assert/strict";
import { KvDeploymentStore } from "../../storage/embedded/deployments.ts";
import type { CommandDefinition } from "../sandbox/protocol/mod.ts";
import { commandsHash, GuildCommands } from "./guild_commands.ts";

const bundle = { entry: "main.ts", code: "createBot({})" };
const PING: CommandDefinition[] = [{ type: 1, name: "ping", description: "Pong" }];
const ECHO: CommandDefinition[] = [{ type: 1, name: "echo", description: "Echo" }];

Deno.test("GuildCommands records the hash before Discord sees the commands", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new KvDeploymentStore(kv);
    const seen: (string | null)[] = [];
    const commands = new GuildCommands(store, async (guildId) => {
      seen.push(await store.registeredCommands(guildId));
      throw new Error("the host died here");
    });
    await assert.rejects(() => commands.register("g", PING), /died/);
    assert.deepEqual(seen, [await commandsHash(PING)]);
  } finally {
    kv.close();
  }
});

Deno.test("GuildCommands.resync re-registers only guilds whose recorded hash differs", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new KvDeploymentStore(kv);
    const live = async (guildId: string, cmds: CommandDefinition[]) => {
      const d = await store.create({ guildId, createdBy: "t", bundle });
      await store.recordProgress(d.id, {
        leaseUntil: new Date(),
        commands: cmds as unknown as never[],
      });
      return await store.setStatus(d.id, "active");
    };
    const sent: [string, CommandDefinition[]][] = [];
    const commands = new GuildCommands(store, (guildId, cmds) => {
      sent.push([guildId, cmds]);
      return Promise.resolve();
    });
    const a = await live("a", PING);
    const b = await live("b", ECHO);
    const legacy = await store.setStatus(
      (await store.create({ guildId: "c", createdBy: "t", bundle })).id,
      "active",
    );
    await commands.register("a", PING);
    await commands.register("b", PING); // a switch that never happened: Discord has b's old ones
    sent.length = 0;
    const repaired = await commands.resync([a, b, legacy]);
    assert.deepEqual(repaired, ["b"]);
    assert.deepEqual(sent, [["b", ECHO]]);
    assert.deepEqual(await commands.resync([a, b]), [], "nothing left to repair");
    // Order does not matter to the hash.
    assert.equal(
      await commandsHash([...PING, ...ECHO]),
      await commandsHash([...ECHO, ...PING]),
    );
  } finally {
    kv.close();
  }
});
