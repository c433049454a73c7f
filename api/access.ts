/**
 * Guild authorization: a user acts on a guild only while they hold
 * Administrator or Manage Guild there and the bot is in it — asked of
 * Discord and cached briefly, so a revoked role stops working within the
 * cache time. The operator may act on every guild.
 *
 * @module
 */

import type { CacheStore, JsonValue } from "../storage/types.ts";
import type { Principal } from "./auth.ts";
import { ADMINISTRATOR, type BotGuild, type DiscordDirectory, MANAGE_GUILD } from "./discord.ts";
import { ApiError } from "./errors.ts";

/** Decides whether a principal may manage a guild. */
export class GuildAccess {
  constructor(
    readonly discord: DiscordDirectory,
    readonly cache: CacheStore,
    readonly cacheMs: number,
  ) {}

  /** True when the principal may manage the guild. */
  async canManage(principal: Principal, guildId: string): Promise<boolean> {
    if (principal.kind === "operator") return true;
    const key = `access:${principal.userId}:${guildId}`;
    const cached = await this.cache.get(key);
    let perms: bigint | null;
    if (typeof cached === "string") {
      perms = cached === "none" ? null : BigInt(cached);
    } else {
      perms = await this.discord.memberPermissions(guildId, principal.userId);
      await this.cache.set(key, perms === null ? "none" : perms.toString(), this.cacheMs);
    }
    return perms !== null && (perms & (ADMINISTRATOR | MANAGE_GUILD)) !== 0n;
  }

  /**
   * The bot's guilds the principal may manage, from the cache store when a
   * list younger than `listCacheMs` is there (so API nodes share it, and a busy
   * dashboard does not spend Discord's per-route limit on the same answer).
   */
  async manageableGuilds(principal: Principal, listCacheMs: number): Promise<BotGuild[]> {
    const key = `guilds:${principal.kind === "operator" ? "operator" : principal.userId}`;
    const cached = await this.cache.get(key);
    if (Array.isArray(cached)) return cached as unknown as BotGuild[];
    const all = await this.discord.botGuilds();
    const allowed = await Promise.all(all.map((g) => this.canManage(principal, g.id)));
    const guilds = all.filter((_, i) => allowed[i]);
    await this.cache.set(key, guilds as unknown as JsonValue, listCacheMs);
    return guilds;
  }

  /** Throws 403 unless the principal may manage the guild. */
  async assert(principal: Principal, guildId: string): Promise<void> {
    if (!await this.canManage(principal, guildId)) {
      throw new ApiError(
        403,
        "forbidden",
        `you may not manage guild ${guildId}: you need Administrator or Manage Server there, ` +
          "and the flora bot must be in it",
      );
    }
  }
}
