/**
 * The default world: the bot, two guilds ("Flora Test A" / "Flora Test B")
 * each with @everyone, Admin, Member and the bot's managed role, channels
 * `general` and `bot-commands`, an admin (the owner), a plain member, and
 * the bot.
 *
 * @module
 */

import type { EmulatorState } from "./state.ts";

export interface SeededGuild {
  id: string;
  name: string;
  channels: { general: string; botCommands: string };
  roles: { everyone: string; admin: string; member: string; bot: string };
}

/** Ids of the seeded world, for tests and the `deno task emulator` banner. */
export interface SeededWorld {
  users: { admin: string; member: string; bot: string };
  guilds: [SeededGuild, SeededGuild];
}

export function seedWorld(state: EmulatorState): SeededWorld {
  const admin = state.createUser({ username: "alice", globalName: "Alice" });
  const member = state.createUser({ username: "bob", globalName: "Bob" });
  // Alice develops the bot: she is its application's owner, as on the developer portal.
  state.application.owner = admin;
  const guild = (name: string): SeededGuild => {
    const record = state.createGuild({ name, ownerId: admin.id, memberIds: [member.id] });
    const id = record.guild.id;
    const channel = (n: string) =>
      record.channelIds.find((c) => state.channels.get(c)?.channel.name === n) ?? "";
    const role = (n: string) => state.roleByName(id, n)?.id ?? "";
    return {
      id,
      name,
      channels: { general: channel("general"), botCommands: channel("bot-commands") },
      roles: {
        everyone: id,
        admin: role("Admin"),
        member: role("Member"),
        bot: role(state.application.name),
      },
    };
  };
  return {
    users: { admin: admin.id, member: member.id, bot: state.botUser.id },
    guilds: [guild("Flora Test A"), guild("Flora Test B")],
  };
}
