/**
 * Every permission-gated REST route, one row each: the row's permission is
 * denied (guild-wide on the bot's role and @everyone, or as a member overwrite
 * on the channel) and the route must answer Discord's documented error; then it
 * is granted and the same request must succeed. The audit table in
 * docs/emulator.md lists the same rows.
 */

import { postMessage } from "./messaging.ts";
import { addReaction } from "./reacting.ts";
import { startEmulator } from "./mod.ts";
import { ALL_PERMISSIONS, DEFAULT_EVERYONE, Permissions } from "./permissions.ts";
import { ChannelTypes } from "./state_records.ts";
import { api, assertEquals, type Reply } from "./test_helpers.ts";
import type { Emulator } from "./mod.ts";

// Rate limits off: the table sends ~150 requests in a burst.
const FAST = { heartbeatIntervalMs: 1100, identifyIntervalMs: 0, rateLimits: { enabled: false } };
const P = Permissions;
/** The bot's role in the grant state: everything but ADMINISTRATOR (which bypasses every check). */
const GRANTED = ALL_PERMISSIONS & ~P.ADMINISTRATOR;

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

interface Row {
  /** The route as the audit table names it. */
  route: string;
  permission: keyof typeof Permissions;
  /** "guild": removed from the bot's role and @everyone; "channel": a member overwrite denies it. */
  scope: "guild" | "channel";
  /** Builds a fresh request (fixtures are consumed by a successful call). */
  setup: (f: Fixtures) => Call | Promise<Call>;
  /** Discord's answer when denied: 50013 unless the permission is VIEW_CHANNEL (50001). */
  deniedCode?: number;
}

interface Fixtures {
  emu: Emulator;
  guildId: string;
  channel: string;
  botRole: string;
  memberRole: string;
  /** A message by another user (bob) in `channel`. */
  othersMessage: () => string;
  /** A message by the bot in `channel`. */
  ownMessage: () => Promise<string>;
  /** A fresh member below the bot in the role hierarchy. */
  freshMember: () => string;
  /** A thread under `channel` (public by default), created by and holding `ownerId` (the bot by default). */
  thread: (ownerId?: string, type?: number) => string;
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);

const ROWS: Row[] = [
  // ---- messages ----
  {
    route: "GET /channels/:id/messages",
    permission: "READ_MESSAGE_HISTORY",
    scope: "channel",
    setup: (f) => ({ method: "GET", path: `/channels/${f.channel}/messages` }),
  },
  {
    route: "GET /channels/:id/messages/:id",
    permission: "READ_MESSAGE_HISTORY",
    scope: "channel",
    setup: (f) => ({ method: "GET", path: `/channels/${f.channel}/messages/${f.othersMessage()}` }),
  },
  {
    route: "POST /channels/:id/messages",
    permission: "SEND_MESSAGES",
    scope: "channel",
    setup: (f) => ({
      method: "POST",
      path: `/channels/${f.channel}/messages`,
      body: { content: "hi" },
    }),
  },
  {
    route: "POST /channels/:id/messages (embeds)",
    permission: "EMBED_LINKS",
    scope: "channel",
    setup: (f) => ({
      method: "POST",
      path: `/channels/${f.channel}/messages`,
      body: { embeds: [{ title: "t" }] },
    }),
  },
  {
    route: "POST /channels/:id/messages (files)",
    permission: "ATTACH_FILES",
    scope: "channel",
    setup: (f) => {
      const form = new FormData();
      form.append("payload_json", JSON.stringify({ content: "file" }));
      form.append("files[0]", new Blob([PNG], { type: "image/png" }), "a.png");
      return { method: "POST", path: `/channels/${f.channel}/messages`, body: form };
    },
  },
  {
    route: "POST /channels/:id/messages (reply)",
    permission: "READ_MESSAGE_HISTORY",
    scope: "channel",
    setup: (f) => ({
      method: "POST",
      path: `/channels/${f.channel}/messages`,
      body: { content: "re", message_reference: { message_id: f.othersMessage() } },
    }),
  },
  {
    route: "POST /channels/:id/messages (thread)",
    permission: "SEND_MESSAGES_IN_THREADS",
    scope: "channel",
    setup: (f) => ({
      method: "POST",
      path: `/channels/${f.thread()}/messages`,
      body: { content: "in thread" },
    }),
  },
  {
    route: "PATCH /channels/:id/messages/:id (another's, flags)",
    permission: "MANAGE_MESSAGES",
    scope: "channel",
    setup: (f) => ({
      method: "PATCH",
      path: `/channels/${f.channel}/messages/${f.othersMessage()}`,
      body: { flags: 4 },
    }),
  },
  {
    route: "PATCH /channels/:id/messages/:id (own, embeds)",
    permission: "EMBED_LINKS",
    scope: "channel",
    setup: async (f) => ({
      method: "PATCH",
      path: `/channels/${f.channel}/messages/${await f.ownMessage()}`,
      body: { embeds: [{ title: "t" }] },
    }),
  },
  {
    route: "DELETE /channels/:id/messages/:id (another's)",
    permission: "MANAGE_MESSAGES",
    scope: "channel",
    setup: (f) => ({
      method: "DELETE",
      path: `/channels/${f.channel}/messages/${f.othersMessage()}`,
    }),
  },
  {
    route: "DELETE /channels/:id/messages/:id (own)",
    permission: "VIEW_CHANNEL",
    scope: "channel",
    setup: async (f) => ({
      method: "DELETE",
      path: `/channels/${f.channel}/messages/${await f.ownMessage()}`,
    }),
  },
  {
    route: "POST /channels/:id/messages/bulk-delete",
    permission: "MANAGE_MESSAGES",
    scope: "channel",
    setup: (f) => ({
      method: "POST",
      path: `/channels/${f.channel}/messages/bulk-delete`,
      body: { messages: [f.othersMessage(), f.othersMessage()] },
    }),
  },
  {
    route: "POST /channels/:id/typing",
    permission: "SEND_MESSAGES",
    scope: "channel",
    setup: (f) => ({ method: "POST", path: `/channels/${f.channel}/typing` }),
  },
  {
    route: "POST /channels/:id/typing (thread)",
    permission: "SEND_MESSAGES_IN_THREADS",
    scope: "channel",
    setup: (f) => ({ method: "POST", path: `/channels/${f.thread()}/typing` }),
  },
  {
    route: "GET /channels/:id/pins",
    permission: "VIEW_CHANNEL",
    scope: "channel",
    setup: (f) => ({ method: "GET", path: `/channels/${f.channel}/pins` }),
  },
  {
    route: "GET /channels/:id/messages/pins",
    permission: "VIEW_CHANNEL",
    scope: "channel",
    setup: (f) => ({ method: "GET", path: `/channels/${f.channel}/messages/pins` }),
  },
  {
    route: "PUT /channels/:id/messages/pins/:id",
    permission: "PIN_MESSAGES",
    scope: "channel",
    setup: (f) => ({
      method: "PUT",
      path: `/channels/${f.channel}/messages/pins/${f.othersMessage()}`,
    }),
  },
  {
    route: "PUT /channels/:id/pins/:id",
    permission: "PIN_MESSAGES",
    scope: "channel",
    setup: (f) => ({ method: "PUT", path: `/channels/${f.channel}/pins/${f.othersMessage()}` }),
  },
  {
    route: "DELETE /channels/:id/messages/pins/:id",
    permission: "PIN_MESSAGES",
    scope: "channel",
    setup: (f) => ({
      method: "DELETE",
      path: `/channels/${f.channel}/messages/pins/${f.othersMessage()}`,
    }),
  },
  // ---- reactions ----
  {
    route: "PUT …/reactions/:emoji/@me (new emoji)",
    permission: "ADD_REACTIONS",
    scope: "channel",
    setup: (f) => ({
      method: "PUT",
      path: `/channels/${f.channel}/messages/${f.othersMessage()}/reactions/%F0%9F%91%8D/@me`,
    }),
  },
  {
    route: "PUT …/reactions/:emoji/@me",
    permission: "READ_MESSAGE_HISTORY",
    scope: "channel",
    setup: (f) => ({
      method: "PUT",
      path: `/channels/${f.channel}/messages/${f.othersMessage()}/reactions/%F0%9F%91%8D/@me`,
    }),
  },
  {
    route: "DELETE …/reactions/:emoji/@me",
    permission: "VIEW_CHANNEL",
    scope: "channel",
    setup: (f) => ({
      method: "DELETE",
      path: `/channels/${f.channel}/messages/${f.othersMessage()}/reactions/%F0%9F%91%8D/@me`,
    }),
  },
  {
    route: "GET …/reactions/:emoji",
    permission: "VIEW_CHANNEL",
    scope: "channel",
    setup: (f) => ({
      method: "GET",
      path: `/channels/${f.channel}/messages/${f.othersMessage()}/reactions/%F0%9F%91%8D`,
    }),
  },
  {
    route: "DELETE …/reactions/:emoji/:user_id",
    permission: "MANAGE_MESSAGES",
    scope: "channel",
    setup: (f) => ({
      method: "DELETE",
      path: `/channels/${f.channel}/messages/${f.othersMessage()}/reactions/%F0%9F%91%8D/${
        f.emu.seeded!.users.member
      }`,
    }),
  },
  {
    route: "DELETE …/reactions",
    permission: "MANAGE_MESSAGES",
    scope: "channel",
    setup: (f) => ({
      method: "DELETE",
      path: `/channels/${f.channel}/messages/${f.othersMessage()}/reactions`,
    }),
  },
  {
    route: "DELETE …/reactions/:emoji",
    permission: "MANAGE_MESSAGES",
    scope: "channel",
    setup: (f) => ({
      method: "DELETE",
      path: `/channels/${f.channel}/messages/${f.othersMessage()}/reactions/%F0%9F%91%8D`,
    }),
  },
  // ---- channels and threads ----
  {
    route: "GET /channels/:id",
    permission: "VIEW_CHANNEL",
    scope: "channel",
    setup: (f) => ({ method: "GET", path: `/channels/${f.channel}` }),
  },
  {
    route: "POST /guilds/:id/channels",
    permission: "MANAGE_CHANNELS",
    scope: "guild",
    setup: (f) => ({
      method: "POST",
      path: `/guilds/${f.guildId}/channels`,
      body: { name: "new" },
    }),
  },
  {
    route: "POST /guilds/:id/channels (overwrites)",
    permission: "SEND_MESSAGES",
    scope: "guild",
    setup: (f) => ({
      method: "POST",
      path: `/guilds/${f.guildId}/channels`,
      body: {
        name: "private",
        permission_overwrites: [{ id: f.memberRole, type: 0, allow: String(P.SEND_MESSAGES) }],
      },
    }),
  },
  {
    route: "PATCH /channels/:id",
    permission: "MANAGE_CHANNELS",
    scope: "channel",
    setup: (f) => ({ method: "PATCH", path: `/channels/${f.channel}`, body: { topic: "t" } }),
  },
  {
    route: "DELETE /channels/:id",
    permission: "MANAGE_CHANNELS",
    scope: "guild",
    setup: (f) => ({
      method: "DELETE",
      path: `/channels/${f.emu.state.createChannel(f.guildId, { name: "gone" }).id}`,
    }),
  },
  {
    route: "PUT /channels/:id/permissions/:id",
    permission: "MANAGE_ROLES",
    scope: "channel",
    setup: (f) => ({
      method: "PUT",
      path: `/channels/${f.channel}/permissions/${f.memberRole}`,
      body: { type: 0, allow: String(P.SEND_MESSAGES) },
    }),
  },
  {
    route: "DELETE /channels/:id/permissions/:id",
    permission: "MANAGE_ROLES",
    scope: "channel",
    setup: (f) => ({
      method: "DELETE",
      path: `/channels/${f.channel}/permissions/${f.memberRole}`,
    }),
  },
  {
    route: "POST /channels/:id/threads (public)",
    permission: "CREATE_PUBLIC_THREADS",
    scope: "channel",
    setup: (f) => ({
      method: "POST",
      path: `/channels/${f.channel}/threads`,
      body: { name: "t", type: ChannelTypes.PUBLIC_THREAD },
    }),
  },
  {
    route: "POST /channels/:id/threads (private)",
    permission: "CREATE_PRIVATE_THREADS",
    scope: "channel",
    setup: (f) => ({
      method: "POST",
      path: `/channels/${f.channel}/threads`,
      body: { name: "t", type: ChannelTypes.PRIVATE_THREAD },
    }),
  },
  {
    route: "POST /channels/:id/messages/:id/threads",
    permission: "CREATE_PUBLIC_THREADS",
    scope: "channel",
    setup: (f) => ({
      method: "POST",
      path: `/channels/${f.channel}/messages/${f.othersMessage()}/threads`,
      body: { name: "t" },
    }),
  },
  {
    route: "PATCH /channels/:id (another's thread)",
    permission: "MANAGE_THREADS",
    scope: "channel",
    setup: (f) => ({
      method: "PATCH",
      path: `/channels/${f.thread(f.emu.seeded!.users.member)}`,
      body: { name: "renamed" },
    }),
  },
  {
    route: "PATCH /channels/:id (lock own thread)",
    permission: "MANAGE_THREADS",
    scope: "channel",
    setup: (f) => ({ method: "PATCH", path: `/channels/${f.thread()}`, body: { locked: true } }),
  },
  {
    route: "PATCH /channels/:id (reopen a thread)",
    permission: "SEND_MESSAGES",
    scope: "channel",
    setup: (f) => {
      const id = f.thread(f.emu.seeded!.users.member);
      f.emu.state.channel(id).channel.thread_metadata!.archived = true;
      return { method: "PATCH", path: `/channels/${id}`, body: { archived: false } };
    },
  },
  {
    route: "DELETE /channels/:id (thread)",
    permission: "MANAGE_THREADS",
    scope: "channel",
    setup: (f) => ({ method: "DELETE", path: `/channels/${f.thread()}` }),
  },
  {
    route: "GET /channels/:id/thread-members",
    permission: "VIEW_CHANNEL",
    scope: "channel",
    setup: (f) => ({ method: "GET", path: `/channels/${f.thread()}/thread-members` }),
  },
  {
    route: "PUT /channels/:id/thread-members/@me",
    permission: "VIEW_CHANNEL",
    scope: "channel",
    setup: (f) => ({
      method: "PUT",
      path: `/channels/${f.thread(f.emu.seeded!.users.member)}/thread-members/@me`,
    }),
  },
  {
    route: "GET /channels/:id (a private thread the bot is not in)",
    permission: "MANAGE_THREADS",
    scope: "channel",
    deniedCode: 50001,
    setup: (f) => ({
      method: "GET",
      path: `/channels/${f.thread(f.emu.seeded!.users.member, ChannelTypes.PRIVATE_THREAD)}`,
    }),
  },
  {
    route: "PUT /channels/:id/thread-members/:id",
    permission: "SEND_MESSAGES_IN_THREADS",
    scope: "channel",
    setup: (f) => ({
      method: "PUT",
      path: `/channels/${f.thread()}/thread-members/${f.emu.seeded!.users.member}`,
    }),
  },
  {
    route: "DELETE /channels/:id/thread-members/:id",
    permission: "MANAGE_THREADS",
    scope: "channel",
    setup: (f) => ({
      method: "DELETE",
      path: `/channels/${f.thread()}/thread-members/${f.emu.seeded!.users.member}`,
    }),
  },
  {
    route: "PATCH /channels/:id (permission_overwrites)",
    permission: "MANAGE_ROLES",
    scope: "channel",
    setup: (f) => ({
      method: "PATCH",
      path: `/channels/${f.channel}`,
      body: {
        permission_overwrites: [{ id: f.memberRole, type: 0, allow: String(P.SEND_MESSAGES) }],
      },
    }),
  },
  // ---- members, bans, roles ----
  {
    route: "PATCH /guilds/:id/members/:id (nick)",
    permission: "MANAGE_NICKNAMES",
    scope: "guild",
    setup: (f) => ({
      method: "PATCH",
      path: `/guilds/${f.guildId}/members/${f.freshMember()}`,
      body: { nick: "n" },
    }),
  },
  {
    route: "PATCH /guilds/:id/members/@me (nick)",
    permission: "CHANGE_NICKNAME",
    scope: "guild",
    setup: (f) => ({
      method: "PATCH",
      path: `/guilds/${f.guildId}/members/@me`,
      body: { nick: "b" },
    }),
  },
  {
    route: "PATCH /guilds/:id/members/:id (roles)",
    permission: "MANAGE_ROLES",
    scope: "guild",
    setup: (f) => ({
      method: "PATCH",
      path: `/guilds/${f.guildId}/members/${f.freshMember()}`,
      body: { roles: [] },
    }),
  },
  {
    route: "PATCH /guilds/:id/members/:id (timeout)",
    permission: "MODERATE_MEMBERS",
    scope: "guild",
    setup: (f) => ({
      method: "PATCH",
      path: `/guilds/${f.guildId}/members/${f.freshMember()}`,
      body: { communication_disabled_until: new Date(Date.now() + 60_000).toISOString() },
    }),
  },
  {
    route: "PATCH /guilds/:id/members/:id (mute)",
    permission: "MUTE_MEMBERS",
    scope: "guild",
    setup: (f) => ({
      method: "PATCH",
      path: `/guilds/${f.guildId}/members/${f.freshMember()}`,
      body: { mute: true },
    }),
  },
  {
    route: "PATCH /guilds/:id/members/:id (deaf)",
    permission: "DEAFEN_MEMBERS",
    scope: "guild",
    setup: (f) => ({
      method: "PATCH",
      path: `/guilds/${f.guildId}/members/${f.freshMember()}`,
      body: { deaf: true },
    }),
  },
  {
    route: "PUT /guilds/:id/members/:id/roles/:id",
    permission: "MANAGE_ROLES",
    scope: "guild",
    setup: (f) => ({
      method: "PUT",
      path: `/guilds/${f.guildId}/members/${f.freshMember()}/roles/${f.memberRole}`,
    }),
  },
  {
    route: "DELETE /guilds/:id/members/:id/roles/:id",
    permission: "MANAGE_ROLES",
    scope: "guild",
    setup: (f) => ({
      method: "DELETE",
      path: `/guilds/${f.guildId}/members/${f.freshMember()}/roles/${f.memberRole}`,
    }),
  },
  {
    route: "DELETE /guilds/:id/members/:id (kick)",
    permission: "KICK_MEMBERS",
    scope: "guild",
    setup: (f) => ({ method: "DELETE", path: `/guilds/${f.guildId}/members/${f.freshMember()}` }),
  },
  {
    route: "GET /guilds/:id/bans",
    permission: "BAN_MEMBERS",
    scope: "guild",
    setup: (f) => ({ method: "GET", path: `/guilds/${f.guildId}/bans` }),
  },
  {
    route: "PUT /guilds/:id/bans/:id",
    permission: "BAN_MEMBERS",
    scope: "guild",
    setup: (f) => ({ method: "PUT", path: `/guilds/${f.guildId}/bans/${f.freshMember()}` }),
  },
  {
    route: "GET /guilds/:id/bans/:id",
    permission: "BAN_MEMBERS",
    scope: "guild",
    setup: async (f) => {
      const user = f.freshMember();
      await api(f.emu, "PUT", `/guilds/${f.guildId}/bans/${user}`);
      return { method: "GET", path: `/guilds/${f.guildId}/bans/${user}` };
    },
  },
  {
    route: "DELETE /guilds/:id/bans/:id",
    permission: "BAN_MEMBERS",
    scope: "guild",
    setup: async (f) => {
      const user = f.freshMember();
      await api(f.emu, "PUT", `/guilds/${f.guildId}/bans/${user}`);
      return { method: "DELETE", path: `/guilds/${f.guildId}/bans/${user}` };
    },
  },
  {
    route: "POST /guilds/:id/roles",
    permission: "MANAGE_ROLES",
    scope: "guild",
    setup: (f) => ({ method: "POST", path: `/guilds/${f.guildId}/roles`, body: { name: "r" } }),
  },
  {
    route: "PATCH /guilds/:id/roles/:id",
    permission: "MANAGE_ROLES",
    scope: "guild",
    setup: (f) => ({
      method: "PATCH",
      path: `/guilds/${f.guildId}/roles/${f.memberRole}`,
      body: { name: "Member" },
    }),
  },
  {
    route: "DELETE /guilds/:id/roles/:id",
    permission: "MANAGE_ROLES",
    scope: "guild",
    setup: async (f) => {
      const role = await api(f.emu, "POST", `/guilds/${f.guildId}/roles`, { name: "doomed" });
      return { method: "DELETE", path: `/guilds/${f.guildId}/roles/${role.body.id}` };
    },
  },
  {
    route: "GET /guilds/:id/audit-logs",
    permission: "VIEW_AUDIT_LOG",
    scope: "guild",
    setup: (f) => ({ method: "GET", path: `/guilds/${f.guildId}/audit-logs` }),
  },
  // ---- webhooks ----
  {
    route: "POST /channels/:id/webhooks",
    permission: "MANAGE_WEBHOOKS",
    scope: "channel",
    setup: (f) => ({
      method: "POST",
      path: `/channels/${f.channel}/webhooks`,
      body: { name: "hook" },
    }),
  },
  {
    route: "GET /channels/:id/webhooks",
    permission: "MANAGE_WEBHOOKS",
    scope: "channel",
    setup: (f) => ({ method: "GET", path: `/channels/${f.channel}/webhooks` }),
  },
  {
    route: "GET /guilds/:id/webhooks",
    permission: "MANAGE_WEBHOOKS",
    scope: "guild",
    setup: (f) => ({ method: "GET", path: `/guilds/${f.guildId}/webhooks` }),
  },
  ...(["GET", "PATCH", "DELETE"] as const).map((method): Row => ({
    route: `${method} /webhooks/:id`,
    permission: "MANAGE_WEBHOOKS",
    scope: "channel",
    setup: async (f) => {
      const hook = await api(f.emu, "POST", `/channels/${f.channel}/webhooks`, { name: "h" });
      return {
        method,
        path: `/webhooks/${hook.body.id}`,
        body: method === "PATCH" ? { name: "h2" } : undefined,
      };
    },
  })),
];

/** Runs `fn` with `permission` denied for the bot, then restores the grant state. */
async function denied<T>(f: Fixtures, row: Row, fn: () => Promise<T>): Promise<T> {
  const bit = Permissions[row.permission];
  const state = f.emu.state;
  const everyone = state.role(f.guildId, f.guildId);
  const bot = state.role(f.guildId, f.botRole);
  const channel = state.channel(f.channel).channel;
  const botId = state.botUser.id;
  if (row.scope === "guild") {
    everyone.permissions = String(DEFAULT_EVERYONE & ~bit);
    bot.permissions = String(GRANTED & ~bit);
  } else {
    channel.permission_overwrites = [
      ...(channel.permission_overwrites ?? []),
      { id: botId, type: 1, allow: "0", deny: String(bit) },
    ];
  }
  try {
    return await fn();
  } finally {
    everyone.permissions = String(DEFAULT_EVERYONE);
    bot.permissions = String(GRANTED);
    channel.permission_overwrites = (channel.permission_overwrites ?? [])
      .filter((o) => o.id !== botId);
  }
}

function fixtures(emu: Emulator): Fixtures {
  const guild = emu.seeded!.guilds[0];
  const state = emu.state;
  state.role(guild.id, guild.roles.bot).permissions = String(GRANTED);
  const channel = guild.channels.general;
  const bob = state.user(emu.seeded!.users.member);
  const f: Fixtures = {
    emu,
    guildId: guild.id,
    channel,
    botRole: guild.roles.bot,
    memberRole: guild.roles.member,
    othersMessage: () => postMessage(state, channel, bob, { content: "from bob" }).message.id,
    ownMessage: async () =>
      (await api(emu, "POST", `/channels/${channel}/messages`, { content: "mine" })).body
        .id as string,
    freshMember: () => {
      const user = state.createUser({ username: `m${crypto.randomUUID().slice(0, 8)}` });
      state.addMember(guild.id, user.id, [guild.roles.member]);
      return user.id;
    },
    thread: (ownerId = state.botUser.id, type: number = ChannelTypes.PUBLIC_THREAD) => {
      const thread = state.createChannel(guild.id, {
        name: "thread",
        type,
        parent_id: channel,
        owner_id: ownerId,
        thread_metadata: {
          archived: false,
          auto_archive_duration: 60,
          archive_timestamp: new Date().toISOString(),
          locked: false,
        },
      });
      state.channel(thread.id).threadMembers.add(ownerId);
      return thread.id;
    },
  };
  return f;
}

async function call(emu: Emulator, c: Call): Promise<Reply> {
  return await api(emu, c.method, c.path, c.body);
}

Deno.test("permission-gated routes: each denies without its permission and succeeds with it", async () => {
  const emu = await startEmulator(FAST);
  try {
    const f = fixtures(emu);
    for (const row of ROWS) {
      const expected = row.deniedCode ?? (row.permission === "VIEW_CHANNEL" ? 50001 : 50013);
      // Reaction rows other than "new emoji" need bob's reaction on the message already.
      const prepare = async () => {
        const c = await row.setup(f);
        if (row.route.includes("reactions") && !row.route.includes("(new emoji)")) {
          const [, channelId, , messageId] = c.path.split("/").slice(1);
          addReaction(emu.state, channelId, messageId, emu.seeded!.users.member, "👍");
        }
        return c;
      };
      const request = await prepare();
      const deny = await denied(f, row, () => call(emu, request));
      assertEquals(
        { status: deny.status, code: deny.body.code },
        { status: 403, code: expected },
        `${row.route} without ${row.permission}`,
      );
      const grant = await call(emu, await prepare());
      assertEquals(
        grant.status < 300,
        true,
        `${row.route} with ${row.permission}: ${grant.status} ${JSON.stringify(grant.body)}`,
      );
    }
  } finally {
    await emu.close();
  }
});

Deno.test("pins: without READ_MESSAGE_HISTORY both pin lists are empty, not an error", async () => {
  const emu = await startEmulator(FAST);
  try {
    const f = fixtures(emu);
    await api(emu, "PUT", `/channels/${f.channel}/messages/pins/${f.othersMessage()}`);
    const row: Row = {
      route: "pins",
      permission: "READ_MESSAGE_HISTORY",
      scope: "channel",
      setup: () => ({ method: "GET", path: "" }),
    };
    const [legacy, current] = await denied(f, row, async () => [
      await api(emu, "GET", `/channels/${f.channel}/pins`),
      await api(emu, "GET", `/channels/${f.channel}/messages/pins`),
    ]);
    assertEquals([legacy.status, legacy.body], [200, []]);
    assertEquals([current.status, current.body], [200, { items: [], has_more: false }]);
    const shown = await api(emu, "GET", `/channels/${f.channel}/messages/pins`);
    assertEquals((shown.body.items as unknown[]).length, 1);
  } finally {
    await emu.close();
  }
});

Deno.test("message send: TTS and @everyone quietly lose their effect without the permission; a locked thread needs MANAGE_THREADS", async () => {
  const emu = await startEmulator(FAST);
  try {
    const f = fixtures(emu);
    const send = (channel: string, body: Record<string, unknown>) =>
      api(emu, "POST", `/channels/${channel}/messages`, body);
    const row = (permission: keyof typeof Permissions): Row => ({
      route: "POST /channels/:id/messages",
      permission,
      scope: "channel",
      setup: () => ({ method: "POST", path: "" }),
    });
    const quiet = await denied(
      f,
      row("SEND_TTS_MESSAGES"),
      () => send(f.channel, { content: "a", tts: true }),
    );
    assertEquals([quiet.status, quiet.body.tts], [200, false]);
    assertEquals((await send(f.channel, { content: "a", tts: true })).body.tts, true);
    const plain = await denied(
      f,
      row("MENTION_EVERYONE"),
      () => send(f.channel, { content: "@everyone" }),
    );
    assertEquals([plain.status, plain.body.mention_everyone], [200, false]);
    assertEquals((await send(f.channel, { content: "@everyone" })).body.mention_everyone, true);
    const locked = f.thread();
    emu.state.channel(locked).channel.thread_metadata!.locked = true;
    const refused = await denied(f, row("MANAGE_THREADS"), () => send(locked, { content: "x" }));
    assertEquals([refused.status, refused.body.code], [400, 160005]);
    assertEquals((await send(locked, { content: "x" })).status, 200);
  } finally {
    await emu.close();
  }
});

Deno.test("hierarchy: with the permission, members at or above the bot's highest role and the owner are still refused", async () => {
  const emu = await startEmulator(FAST);
  try {
    const f = fixtures(emu);
    const state = emu.state;
    const top = state.createRole(f.guildId, { name: "Top", position: 10 });
    const above = f.freshMember();
    state.member(f.guildId, above).roles.push(top.id);
    const owner = emu.seeded!.users.admin;
    const g = `/guilds/${f.guildId}`;
    const refused: Call[] = [
      { method: "DELETE", path: `${g}/members/${above}` },
      { method: "PUT", path: `${g}/bans/${above}` },
      { method: "PATCH", path: `${g}/members/${above}`, body: { nick: "x" } },
      {
        method: "PATCH",
        path: `${g}/members/${above}`,
        body: { communication_disabled_until: new Date(Date.now() + 60_000).toISOString() },
      },
      { method: "DELETE", path: `${g}/members/${owner}` },
      { method: "PUT", path: `${g}/members/${f.freshMember()}/roles/${top.id}` },
      { method: "PUT", path: `${g}/members/${f.freshMember()}/roles/${f.botRole}` },
      { method: "PATCH", path: `${g}/roles/${top.id}`, body: { name: "y" } },
      { method: "DELETE", path: `${g}/roles/${top.id}` },
    ];
    for (const c of refused) {
      const reply = await call(emu, c);
      assertEquals(
        { status: reply.status, code: reply.body.code },
        { status: 403, code: 50013 },
        `${c.method} ${c.path}`,
      );
    }
  } finally {
    await emu.close();
  }
});
