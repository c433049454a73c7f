import assert from "node:assert/strict";
import { startEmulator } from "../emulator/mod.ts";
import { Permissions } from "../emulator/permissions.ts";
import { KvCacheStore } from "../storage/embedded/cache.ts";
import { GuildAccess } from "./access.ts";
import { BotDiscordDirectory } from "./discord.ts";

Deno.test("guild access follows Discord's permissions and the bot's membership, cached briefly", async () => {
  const emulator = await startEmulator({ rateLimits: { enabled: false } });
  const kv = await Deno.openKv(":memory:");
  try {
    const { state } = emulator;
    const world = emulator.seeded!;
    const guild = world.guilds[0].id;
    const discord = new BotDiscordDirectory(`${emulator.restBase}/v10`, emulator.token);
    const access = new GuildAccess(discord, new KvCacheStore(kv), 50);
    const user = (userId: string) => ({
      kind: "user" as const,
      userId,
      username: "u",
      via: "token" as const,
      tokenId: "t",
    });

    assert.equal(await access.canManage({ kind: "operator" }, guild), true);
    assert.equal(await access.canManage(user(world.users.admin), guild), true, "the owner");
    assert.equal(await access.canManage(user(world.users.member), guild), false, "a member");
    await assert.rejects(
      () => access.assert(user(world.users.member), guild),
      /Administrator or Manage Server/,
    );

    // Manage Server alone is enough; the change shows once the cached answer expires.
    const managers = state.createRole(guild, {
      name: "Managers",
      position: 1,
      permissions: Permissions.MANAGE_GUILD.toString(),
    });
    state.member(guild, world.users.member).roles.push(managers.id);
    let allowed = false;
    for (let i = 0; i < 100 && !allowed; i++) {
      allowed = await access.canManage(user(world.users.member), guild);
      if (!allowed) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(allowed, "Manage Server is enough");

    // The owner of a guild the bot is not in may not manage it through flora.
    const other = state.createGuild({ name: "Elsewhere", ownerId: world.users.admin }).guild.id;
    state.guild(other).members.delete(state.botUser.id);
    assert.equal(await access.canManage(user(world.users.admin), other), false);
    assert.equal(await access.canManage(user(world.users.admin), "100000000000000009"), false);
  } finally {
    kv.close();
    await emulator.close();
  }
});

Deno.test("manageableGuilds asks Discord once per caller and list lifetime, shared through the cache store", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let calls = 0;
    const discord = {
      memberPermissions: (guildId: string) => Promise.resolve(guildId === "1" ? 0x20n : 0n),
      botGuilds: () => {
        calls++;
        return Promise.resolve([
          { id: "1", name: "mine", icon: null },
          { id: "2", name: "not mine", icon: null },
        ]);
      },
    };
    const cache = new KvCacheStore(kv);
    const alice = {
      kind: "user" as const,
      userId: "10",
      username: "alice",
      via: "token" as const,
      tokenId: "t",
    };
    // Two API nodes: separate GuildAccess, one cache store.
    const nodeA = new GuildAccess(discord, cache, 60_000);
    const nodeB = new GuildAccess(discord, cache, 60_000);
    const first = await nodeA.manageableGuilds(alice, 60_000);
    assert.deepEqual(first.map((g) => g.id), ["1"]);
    for (let i = 0; i < 20; i++) await nodeB.manageableGuilds(alice, 60_000);
    assert.equal(calls, 1, "one call to Discord for 21 requests");
    assert.equal((await nodeA.manageableGuilds({ kind: "operator" }, 60_000)).length, 2);
    assert.equal(calls, 2, "the operator's list is its own");
  } finally {
    kv.close();
  }
});
