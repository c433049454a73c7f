/**
 * The control API under `/_emulator/`: inspect the world, act as users
 * (messages, slash commands, component clicks), read the bot's REST
 * actions, and inject faults. JSON in, JSON out; no auth (local only).
 *
 * @module
 */

import { Hono } from "hono";
import type { ActionLog } from "./actions.ts";
import type { GuildSummary, InteractionView, World } from "./control_types.ts";
import { DiscordError, ErrorCodes, invalidField, notFound } from "./errors.ts";
import type { GatewayServer } from "./gateway.ts";
import { jsonBody, str } from "./control_http.ts";
import { registerFaultRoutes } from "./control_faults.ts";
import { registerUserActions } from "./control_users.ts";
import { setOverwrite } from "./rest/permission_overwrites.ts";
import type { RateLimiter } from "./rest/ratelimit.ts";
import { type EmulatorState } from "./state.ts";
import { Intents, isoTimestamp } from "./state_records.ts";
import type { ApiMessage } from "./types.ts";

export interface ControlContext {
  state: EmulatorState;
  actions: ActionLog;
  gateway: GatewayServer;
  rateLimits: RateLimiter;
}

/** Longest a control long-poll may hold a request, ms. */
const MAX_WAIT_MS = 30_000;

/** A guild as the control API summarizes it. */
export function guildSummary(state: EmulatorState, guildId: string): GuildSummary {
  const record = state.guild(guildId);
  return {
    id: guildId,
    name: record.guild.name,
    ownerId: record.guild.owner_id,
    channels: record.channelIds.map((id) => state.channel(id).channel).map((c) => ({
      id: c.id,
      name: c.name ?? "",
      type: c.type,
      parentId: c.parent_id ?? null,
    })),
    roles: [...record.roles.values()].sort((a, b) => a.position - b.position).map((r) => ({
      id: r.id,
      name: r.name,
      permissions: r.permissions,
      position: r.position,
      managed: r.managed,
    })),
    members: [...record.members.values()].map((m) => {
      const user = state.user(m.userId);
      return { userId: m.userId, username: user.username, roles: [...m.roles], bot: !!user.bot };
    }),
    commands: state.commands.get(guildId) ?? [],
  };
}

/** The whole world, summarized. */
export function worldView(state: EmulatorState): World {
  return {
    application: {
      id: state.application.id,
      name: state.application.name,
      flags: state.application.flags,
    },
    botUser: state.botUser,
    users: [...state.users.values()],
    guilds: [...state.guilds.keys()].map((id) => guildSummary(state, id)),
  };
}

function interactionView(state: EmulatorState, id: string): InteractionView {
  const record = state.interactions.get(id);
  if (!record) throw notFound(ErrorCodes.UnknownInteraction);
  const channelId = record.interaction.channel_id ?? "";
  const find = (messageId: string | null): ApiMessage | null => {
    if (!messageId) return null;
    const m = state.channels.get(channelId)?.messages.get(messageId);
    return m ? state.messageToApi(m) : null;
  };
  return {
    interaction: record.interaction,
    createdAt: record.createdAt,
    responseType: record.responseType,
    responses: record.responses,
    originalMessage: find(record.originalMessageId),
    followups: record.followupIds.map(find).filter((m): m is ApiMessage => m !== null),
  };
}

/** Builds the control app (mount at `/_emulator`). */
export function createControlApp(ctx: ControlContext): Hono {
  const { state, actions } = ctx;
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof DiscordError) {
      return new Response(JSON.stringify(error.body), {
        status: error.status,
        headers: { "content-type": "application/json" },
      });
    }
    return c.json({ message: String(error), code: 0 }, 500);
  });

  app.get("/world", (c) => c.json(worldView(state)));
  registerUserActions(app, state);
  registerFaultRoutes(app, ctx);

  app.post("/users", async (c) => {
    const input = await jsonBody(c);
    const user = state.createUser({
      username: str(input, "username"),
      globalName: typeof input.globalName === "string" ? input.globalName : null,
      bot: input.bot === true,
    });
    return c.json(user, 201);
  });

  app.post("/guilds", async (c) => {
    const input = await jsonBody(c);
    const name = str(input, "name");
    const channels = Array.isArray(input.channels)
      ? input.channels.filter((n): n is string => typeof n === "string")
      : undefined;
    const humans = [...state.users.values()].filter((u) => !u.bot);
    const ownerId = typeof input.ownerId === "string" ? input.ownerId : humans[0]?.id;
    if (!ownerId) throw invalidField(["ownerId"], "BASE_TYPE_REQUIRED", "No user to own the guild");
    state.user(ownerId);
    const memberIds = Array.isArray(input.memberIds)
      ? input.memberIds.filter((id): id is string => typeof id === "string")
      : humans.slice(1, 2).map((u) => u.id);
    const record = state.createGuild({ name, channels, ownerId, memberIds });
    // The bot was just added: Discord sends GUILD_CREATE to its shard.
    state.emit({
      t: "GUILD_CREATE",
      d: state.guildCreatePayload(record.guild.id),
      guildId: record.guild.id,
      intent: Intents.GUILDS,
    });
    return c.json(guildSummary(state, record.guild.id), 201);
  });

  // The bot is kicked from / re-invited to a guild.
  app.delete("/guilds/:guild_id/bot", (c) => {
    const guildId = c.req.param("guild_id");
    const guild = state.guild(guildId);
    if (!guild.members.delete(state.botUser.id)) throw notFound(ErrorCodes.UnknownMember);
    state.emit({ t: "GUILD_DELETE", d: { id: guildId }, guildId, intent: Intents.GUILDS });
    return c.body(null, 204);
  });

  app.post("/guilds/:guild_id/bot", (c) => {
    const guildId = c.req.param("guild_id");
    const guild = state.guild(guildId);
    if (!guild.members.has(state.botUser.id)) {
      const botRole = [...guild.roles.values()].find((r) => r.tags?.bot_id === state.botUser.id);
      state.addMember(guildId, state.botUser.id, botRole ? [botRole.id] : []);
      guild.joinedAt = isoTimestamp();
    }
    state.emit({
      t: "GUILD_CREATE",
      d: state.guildCreatePayload(guildId),
      guildId,
      intent: Intents.GUILDS,
    });
    return c.json(guildSummary(state, guildId), 201);
  });

  // A Discord-side outage: GUILD_DELETE with unavailable, then GUILD_CREATE when it ends.
  app.post("/guilds/:guild_id/outage", async (c) => {
    const guildId = c.req.param("guild_id");
    state.guild(guildId);
    const input = await jsonBody(c);
    if (input.unavailable === false) {
      state.emit({
        t: "GUILD_CREATE",
        d: state.guildCreatePayload(guildId),
        guildId,
        intent: Intents.GUILDS,
      });
    } else {
      state.emit({
        t: "GUILD_DELETE",
        d: { id: guildId, unavailable: true },
        guildId,
        intent: Intents.GUILDS,
      });
    }
    return c.body(null, 204);
  });

  // Acting as the owner: edit a member's roles or nickname.
  app.patch("/guilds/:guild_id/members/:user_id", async (c) => {
    const guildId = c.req.param("guild_id");
    const member = state.member(guildId, c.req.param("user_id"));
    const input = await jsonBody(c);
    if (Array.isArray(input.roles)) {
      const roles = input.roles.filter((r): r is string => typeof r === "string");
      for (const roleId of roles) state.role(guildId, roleId);
      member.roles = [...new Set(roles)];
    }
    if (input.nick === null || typeof input.nick === "string") member.nick = input.nick || null;
    const api = state.memberToApi(member);
    state.emit({
      t: "GUILD_MEMBER_UPDATE",
      d: { guild_id: guildId, ...api },
      guildId,
      intent: Intents.GUILD_MEMBERS,
    });
    return c.json(api);
  });

  // Acting as the owner: add a channel.
  app.post("/guilds/:guild_id/channels", async (c) => {
    const guildId = c.req.param("guild_id");
    const input = await jsonBody(c);
    const type = typeof input.type === "number" ? input.type : 0;
    if (type !== 0 && type !== 2 && type !== 4) {
      throw invalidField(["type"], "BASE_TYPE_CHOICES", "Value must be one of (0, 2, 4).");
    }
    const channel = state.createChannel(guildId, {
      name: str(input, "name"),
      type,
      parent_id: typeof input.parentId === "string" ? input.parentId : null,
    });
    state.emit({ t: "CHANNEL_CREATE", d: channel, guildId, intent: Intents.GUILDS });
    return c.json(channel, 201);
  });

  app.post("/guilds/:guild_id/members", async (c) => {
    const guildId = c.req.param("guild_id");
    const input = await jsonBody(c);
    const userId = str(input, "userId");
    const roles = Array.isArray(input.roles)
      ? input.roles.filter((r): r is string => typeof r === "string")
      : [];
    for (const roleId of roles) state.role(guildId, roleId);
    // Banned users cannot join.
    if (state.guild(guildId).bans.has(userId)) {
      throw new DiscordError(403, { code: 40007, message: "The user is banned from this guild." });
    }
    const member = state.addMember(guildId, userId, roles);
    state.emit({
      t: "GUILD_MEMBER_ADD",
      d: { guild_id: guildId, ...state.memberToApi(member) },
      guildId,
      intent: Intents.GUILD_MEMBERS,
    });
    return c.json(state.memberToApi(member), 201);
  });

  // Acting as the guild owner: change a role's name or permissions.
  app.patch("/guilds/:guild_id/roles/:role_id", async (c) => {
    const guildId = c.req.param("guild_id");
    const role = state.role(guildId, c.req.param("role_id"));
    const input = await jsonBody(c);
    if (typeof input.permissions === "string") {
      if (!/^\d+$/.test(input.permissions)) {
        throw invalidField(["permissions"], "NUMBER_TYPE_COERCE", "Not an integer string.");
      }
      role.permissions = input.permissions;
    }
    if (typeof input.name === "string") role.name = input.name;
    state.emit({
      t: "GUILD_ROLE_UPDATE",
      d: { guild_id: guildId, role },
      guildId,
      intent: Intents.GUILDS,
    });
    return c.json(role);
  });

  app.get("/channels/:channel_id/messages", (c) => {
    const channel = state.channel(c.req.param("channel_id"));
    return c.json([...channel.messages.values()].map((m) => state.messageToApi(m)));
  });

  app.put("/channels/:channel_id/permissions/:overwrite_id", async (c) => {
    const input = await jsonBody(c);
    if (input.type !== 0 && input.type !== 1) {
      throw invalidField(["type"], "BASE_TYPE_CHOICES", "Value must be one of (0, 1).");
    }
    const channel = setOverwrite(state, c.req.param("channel_id"), c.req.param("overwrite_id"), {
      type: input.type,
      allow: typeof input.allow === "string" ? input.allow : "0",
      deny: typeof input.deny === "string" ? input.deny : "0",
    });
    return c.json(channel);
  });

  app.get("/interactions/:id", (c) => c.json(interactionView(state, c.req.param("id"))));

  app.get("/actions", async (c) => {
    const since = Number(c.req.query("since") ?? 0);
    const guildId = c.req.query("guildId") || undefined;
    const wait = Math.min(Number(c.req.query("wait") ?? 0), MAX_WAIT_MS);
    if (wait > 0) await actions.wait(since, wait);
    return c.json(actions.list({ since, guildId }));
  });

  app.notFound((c) => c.json({ message: "404: Not Found", code: 0 }, 404));
  return app;
}
