/**
 * Typed client for the emulator's control API — what tests and local tools
 * use to act as Discord users and to observe what the bot did.
 *
 * @module
 */

import type { BotAction } from "./actions.ts";
import type {
  ComponentInvocation,
  ContextMenuInvocation,
  GatewayFault,
  GatewaySessionView,
  GuildSummary,
  InteractionView,
  RestFault,
  SlashInvocation,
  World,
} from "./control_types.ts";
import type { ApiChannel, ApiGuildMember, ApiMessage, ApiRole, ApiUser } from "./types.ts";

/** A control API failure, carrying Discord's error body. */
export class EmulatorClientError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(`emulator control request failed (${status}): ${JSON.stringify(body)}`);
  }
}

export class EmulatorClient {
  readonly #base: string;

  /** `baseUrl` is the emulator's url (`http://127.0.0.1:PORT`) or its `/_emulator` url. */
  constructor(baseUrl: string) {
    const trimmed = baseUrl.replace(/\/+$/, "");
    this.#base = trimmed.endsWith("/_emulator") ? trimmed : `${trimmed}/_emulator`;
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.#base}${path}`, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : null;
    if (!response.ok) throw new EmulatorClientError(response.status, parsed);
    return parsed as T;
  }

  /** Guilds with channels, roles, members and commands; users; the application. */
  world(): Promise<World> {
    return this.#request("GET", "/world");
  }

  /** Creates a guild the bot is in (dispatches GUILD_CREATE). */
  createGuild(input: { name: string; channels?: string[] }): Promise<GuildSummary> {
    return this.#request("POST", "/guilds", input);
  }

  /** The bot is removed from a guild (GUILD_DELETE without `unavailable`). */
  async removeBot(guildId: string): Promise<void> {
    await this.#request("DELETE", `/guilds/${guildId}/bot`);
  }

  /** The bot is (re-)added to a guild (GUILD_CREATE). */
  addBot(guildId: string): Promise<GuildSummary> {
    return this.#request("POST", `/guilds/${guildId}/bot`);
  }

  /** Starts (`true`) or ends (`false`) an outage: GUILD_DELETE unavailable / GUILD_CREATE. */
  async guildOutage(guildId: string, unavailable: boolean): Promise<void> {
    await this.#request("POST", `/guilds/${guildId}/outage`, { unavailable });
  }

  /** Creates a human user. */
  createUser(input: { username: string; globalName?: string }): Promise<ApiUser> {
    return this.#request("POST", "/users", input);
  }

  /** Adds a user to a guild (dispatches GUILD_MEMBER_ADD). */
  addMember(input: { guildId: string; userId: string; roles?: string[] }): Promise<ApiGuildMember> {
    return this.#request("POST", `/guilds/${input.guildId}/members`, {
      userId: input.userId,
      roles: input.roles,
    });
  }

  /** Changes a member's roles or nickname as the guild owner (GUILD_MEMBER_UPDATE). */
  updateMember(input: {
    guildId: string;
    userId: string;
    roles?: string[];
    nick?: string | null;
  }): Promise<ApiGuildMember> {
    return this.#request("PATCH", `/guilds/${input.guildId}/members/${input.userId}`, {
      roles: input.roles,
      nick: input.nick,
    });
  }

  /** Adds a channel as the guild owner (CHANNEL_CREATE). */
  createChannel(input: {
    guildId: string;
    name: string;
    type?: 0 | 2 | 4;
    parentId?: string;
  }): Promise<ApiChannel> {
    return this.#request("POST", `/guilds/${input.guildId}/channels`, {
      name: input.name,
      type: input.type,
      parentId: input.parentId,
    });
  }

  /** Changes a role's name or permissions as the guild owner (dispatches GUILD_ROLE_UPDATE). */
  updateRole(input: {
    guildId: string;
    roleId: string;
    name?: string;
    permissions?: string;
  }): Promise<ApiRole> {
    return this.#request("PATCH", `/guilds/${input.guildId}/roles/${input.roleId}`, {
      name: input.name,
      permissions: input.permissions,
    });
  }

  /** Posts a message as a user; dispatches MESSAGE_CREATE. */
  sendMessage(input: {
    guildId: string;
    channelId: string;
    userId: string;
    content: string;
    messageReference?: { message_id: string };
  }): Promise<ApiMessage> {
    return this.#request("POST", "/messages", input);
  }

  /** A user starts typing in a channel; TYPING_START. */
  async startTyping(input: { channelId: string; userId: string }): Promise<void> {
    await this.#request("POST", "/typing", input);
  }

  /** A user DMs the bot (DM channel created on first use); MESSAGE_CREATE without guild_id. */
  sendDirectMessage(input: { userId: string; content: string }): Promise<ApiMessage> {
    return this.#request("POST", "/dms", input);
  }

  /** A user edits their own message; MESSAGE_UPDATE. */
  editMessage(input: {
    channelId: string;
    messageId: string;
    userId: string;
    content: string;
  }): Promise<ApiMessage> {
    return this.#request("PATCH", `/messages/${input.channelId}/${input.messageId}`, {
      userId: input.userId,
      content: input.content,
    });
  }

  /** A user deletes a message (their own, or any with MANAGE_MESSAGES); MESSAGE_DELETE. */
  async deleteMessage(input: { channelId: string; messageId: string; userId: string }) {
    await this.#request("DELETE", `/messages/${input.channelId}/${input.messageId}`, {
      userId: input.userId,
    });
  }

  /** A user reacts (Unicode emoji); MESSAGE_REACTION_ADD. */
  async addReaction(
    input: { channelId: string; messageId: string; userId: string; emoji: string },
  ) {
    await this.#request("POST", "/reactions", input);
  }

  /** A user removes their reaction; MESSAGE_REACTION_REMOVE. */
  async removeReaction(
    input: { channelId: string; messageId: string; userId: string; emoji: string },
  ) {
    await this.#request("DELETE", "/reactions", input);
  }

  /** A member leaves the guild; GUILD_MEMBER_REMOVE. */
  async removeMember(input: { guildId: string; userId: string }) {
    await this.#request("DELETE", `/guilds/${input.guildId}/members/${input.userId}`);
  }

  /** Messages currently in a channel (oldest first). */
  messages(channelId: string): Promise<ApiMessage[]> {
    return this.#request("GET", `/channels/${channelId}/messages`);
  }

  /** Sets a channel permission overwrite (type 0 = role, 1 = member); dispatches CHANNEL_UPDATE. */
  setPermissionOverwrite(input: {
    channelId: string;
    id: string;
    type: 0 | 1;
    allow?: string;
    deny?: string;
  }): Promise<ApiChannel> {
    return this.#request("PUT", `/channels/${input.channelId}/permissions/${input.id}`, {
      type: input.type,
      allow: input.allow ?? "0",
      deny: input.deny ?? "0",
    });
  }

  /** A user runs a slash command; 404 if it isn't registered for that guild. */
  invokeSlash(input: SlashInvocation): Promise<{ interactionId: string; token: string }> {
    return this.#request("POST", "/interactions/slash", input);
  }

  /** A user types into an autocomplete option (mark it `focused: true`); expects callback type 8. */
  invokeAutocomplete(input: SlashInvocation): Promise<{ interactionId: string; token: string }> {
    return this.#request("POST", "/interactions/autocomplete", input);
  }

  /**
   * A user runs a registered user or message context-menu command on a target;
   * the interaction carries `target_id` and the target in `resolved`.
   */
  invokeContextMenu(
    input: ContextMenuInvocation,
  ): Promise<{ interactionId: string; token: string }> {
    return this.#request("POST", "/interactions/context-menu", input);
  }

  /** A user clicks a component on one of the bot's messages. */
  invokeComponent(input: ComponentInvocation): Promise<{ interactionId: string; token: string }> {
    return this.#request("POST", "/interactions/component", input);
  }

  /** A user fills and submits the modal the bot opened in answer to `interactionId`. */
  submitModal(
    input: { interactionId: string; values: Record<string, string> },
  ): Promise<{ interactionId: string; token: string }> {
    return this.#request("POST", "/interactions/modal", input);
  }

  /** An interaction with its responses and followups. */
  interaction(id: string): Promise<InteractionView> {
    return this.#request("GET", `/interactions/${id}`);
  }

  /** Everything the bot did via REST, in order. */
  actions(input: { since?: number; guildId?: string; waitMs?: number } = {}): Promise<BotAction[]> {
    const query = new URLSearchParams();
    if (input.since !== undefined) query.set("since", String(input.since));
    if (input.guildId !== undefined) query.set("guildId", input.guildId);
    if (input.waitMs !== undefined) query.set("wait", String(input.waitMs));
    const qs = query.size ? `?${query}` : "";
    return this.#request("GET", `/actions${qs}`);
  }

  /**
   * The first action (oldest first, including past ones) matching `predicate`;
   * long-polls for new ones until `timeoutMs` (default 10 s), then rejects.
   */
  async waitForAction(
    predicate: (action: BotAction) => boolean,
    timeoutMs = 10_000,
  ): Promise<BotAction> {
    const deadline = Date.now() + timeoutMs;
    let since = 0;
    let first = true;
    while (true) {
      // The first pass reads the log as it is; later passes long-poll for new entries.
      const waitMs = first ? 0 : Math.max(deadline - Date.now(), 0);
      first = false;
      const batch = await this.actions({ since, waitMs });
      for (const action of batch) {
        if (predicate(action)) return action;
        since = Math.max(since, action.seq);
      }
      if (Date.now() >= deadline) {
        throw new Error(`no matching bot action within ${timeoutMs} ms`);
      }
    }
  }

  /** Gateway sessions (for resume/shard assertions). */
  async sessions(): Promise<GatewaySessionView[]> {
    const view = await this.#request<{ sessions: GatewaySessionView[] }>("GET", "/gateway");
    return view.sessions;
  }

  /** Injects a gateway fault; resolves to the number of connections affected. */
  async gatewayFault(fault: GatewayFault): Promise<number> {
    const result = await this.#request<{ affected: number }>("POST", "/faults/gateway", fault);
    return result.affected;
  }

  /** Changes REST rate limits at run time (`enabled: false` for benchmarks); resets buckets. */
  async setRateLimits(options: {
    enabled?: boolean;
    globalPerSecond?: number;
    routes?: Record<string, { limit: number; windowMs: number }>;
  }): Promise<void> {
    await this.#request("PUT", "/rate-limits", options);
  }

  /** Makes the next `count` requests to a route fail with `status`. */
  async restFault(fault: RestFault): Promise<void> {
    await this.#request("POST", "/faults/rest", fault);
  }
}
