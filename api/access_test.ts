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
