/**
 * What the API asks Discord: a member's guild permissions and the bot's
 * guilds (with the bot token), and the OAuth2 code exchange and current user
 * (with a user's token). Plain `fetch` against Discord's REST API (or the
 * emulator's), so the shapes are Discord's documented ones.
 *
 * @module
 */

import type { OAuthSettings } from "./config.ts";
import { ApiError } from "./errors.ts";

/** Permission bits the API checks. */
export const ADMINISTRATOR = 1n << 3n;
export const MANAGE_GUILD = 1n << 5n;
const ALL = (1n << 53n) - 1n;

/** A Discord user as the API reports it. */
export interface DiscordUser {
  id: string;
  username: string;
  global_name?: string | null;
  avatar?: string | null;
  /** Guilds the user may manage (owner, Administrator or Manage Server), from the login. */
  managedGuilds?: ManagedGuild[];
}

/** A guild a user may manage, as their login saw it. */
export type ManagedGuild = { id: string; name: string };

/** A guild the bot is in. */
export interface BotGuild {
  id: string;
  name: string;
  icon: string | null;
}

/** The Discord calls the API depends on (bot side). */
export interface DiscordDirectory {
  /**
   * The user's guild-wide permissions, or null when the bot is not in the
   * guild or the user is not a member.
   */
  memberPermissions(guildId: string, userId: string): Promise<bigint | null>;
  botGuilds(): Promise<BotGuild[]>;
}

interface ApiRole {
  id: string;
  permissions: string;
}

/** Talks to Discord's REST API as the bot. */
export class BotDiscordDirectory implements DiscordDirectory {
  constructor(readonly apiBase: string, readonly botToken: string) {}

  async #get<T>(path: string): Promise<T | null> {
    let response: Response;
    try {
      response = await fetch(`${this.apiBase}${path}`, {
        headers: { authorization: `Bot ${this.botToken}` },
      });
    } catch (error) {
      throw new ApiError(502, "discord_unreachable", `could not reach Discord: ${error}`);
    }
    if (response.status === 404 || response.status === 403) {
      await response.body?.cancel();
      return null;
    }
    if (response.status === 429) {
      const after = Number(response.headers.get("retry-after") ?? "1");
      await response.body?.cancel();
      throw new ApiError(
        503,
        "discord_busy",
        `Discord is rate limiting flora; try again in ${Math.max(1, Math.ceil(after))} s`,
      );
    }
    if (!response.ok) {
      const text = await response.text();
      throw new ApiError(
        502,
        "discord_error",
        `Discord answered ${response.status} to the permission check: ${text.slice(0, 200)}`,
      );
    }
    return await response.json() as T;
  }

  async memberPermissions(guildId: string, userId: string): Promise<bigint | null> {
    const guild = await this.#get<{ owner_id: string; roles: ApiRole[] }>(`/guilds/${guildId}`);
    if (!guild) return null;
    if (guild.owner_id === userId) return ALL;
    const member = await this.#get<{ roles: string[] }>(`/guilds/${guildId}/members/${userId}`);
    if (!member) return null;
    let perms = 0n;
    for (const role of guild.roles) {
      if (role.id === guildId || member.roles.includes(role.id)) perms |= BigInt(role.permissions);
    }
    return perms & ADMINISTRATOR ? ALL : perms;
  }

  async botGuilds(): Promise<BotGuild[]> {
    const guilds = await this.#get<BotGuild[]>(`/users/@me/guilds?limit=200`) ?? [];
    return guilds.map((g) => ({ id: g.id, name: g.name, icon: g.icon ?? null }));
  }
}

/** Discord's OAuth2 authorization-code flow for logging users in. */
export class DiscordOAuth {
  constructor(readonly settings: OAuthSettings) {}

  /** Where to send the browser. */
  authorizeUrl(redirectUri: string, state: string): string {
    const url = new URL(this.settings.authorizeUrl);
    url.searchParams.set("client_id", this.settings.clientId);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("redirect_uri", redirectUri);
    url.searchParams.set("scope", "identify guilds");
    url.searchParams.set("state", state);
    url.searchParams.set("prompt", "none");
    return url.href;
  }

  /** The page that adds the bot to a guild (Discord's bot authorization, preselecting the guild). */
  inviteUrl(guildId: string): string {
    const url = new URL(this.settings.authorizeUrl);
    url.searchParams.set("client_id", this.settings.clientId);
    url.searchParams.set("scope", "bot applications.commands");
    url.searchParams.set("guild_id", guildId);
    url.searchParams.set("disable_guild_select", "true");
    return url.href;
  }

  /** Exchanges the callback's code for the user (the access token is used once and dropped). */
  async userFromCode(code: string, redirectUri: string): Promise<DiscordUser> {
    const response = await fetch(`${this.settings.apiBase}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
        client_id: this.settings.clientId,
        client_secret: this.settings.clientSecret,
      }),
    }).catch((error) => {
      throw new ApiError(502, "discord_unreachable", `could not reach Discord: ${error}`);
    });
    const grant = await response.json().catch(() => ({})) as {
      access_token?: string;
      error_description?: string;
    };
    if (!response.ok || !grant.access_token) {
      throw new ApiError(
        400,
        "login_failed",
        `Discord refused the login: ${grant.error_description ?? response.status}; start again`,
      );
    }
    const me = await fetch(`${this.settings.apiBase}/users/@me`, {
      headers: { authorization: `Bearer ${grant.access_token}` },
    });
    if (!me.ok) {
      await me.body?.cancel();
      throw new ApiError(502, "discord_error", `Discord answered ${me.status} for the user`);
    }
    const user = await me.json() as DiscordUser;
    return {
      id: user.id,
      username: user.username,
      global_name: user.global_name ?? null,
      avatar: user.avatar ?? null,
      managedGuilds: await this.#managedGuilds(grant.access_token),
    };
  }

  /** The user's guilds they may manage (the `guilds` scope); [] when Discord does not answer. */
  async #managedGuilds(accessToken: string): Promise<ManagedGuild[]> {
    const response = await fetch(`${this.settings.apiBase}/users/@me/guilds`, {
      headers: { authorization: `Bearer ${accessToken}` },
    }).catch(() => null);
    if (!response?.ok) {
      await response?.body?.cancel();
      return [];
    }
    const guilds = await response.json().catch(() => []) as {
      id?: unknown;
      name?: unknown;
      owner?: unknown;
      permissions?: unknown;
    }[];
    if (!Array.isArray(guilds)) return [];
    return guilds.filter((g) => {
      if (typeof g.id !== "string" || typeof g.name !== "string") return false;
      const perms = /^\d+$/.test(String(g.permissions)) ? BigInt(String(g.permissions)) : 0n;
      return g.owner === true || (perms & (ADMINISTRATOR | MANAGE_GUILD)) !== 0n;
    }).map((g) => ({ id: g.id as string, name: g.name as string }));
  }
}
