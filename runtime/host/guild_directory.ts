/**
 * Which guild each channel belongs to, learnt from the gateway (GUILD_CREATE,
 * channel and thread events) and, for ids not seen there, from Discord's
 * REST API. The host checks every channel a script names against it.
 *
 * @module
 */

/** Looks up a channel's guild over REST when the gateway has not told us. */
export type ChannelLookup = (channelId: string) => Promise<{ guildId?: string } | null>;

interface ChannelLike {
  id: string;
  guild_id?: string;
}

/** channel id → guild id, kept current from gateway events. */
export class GuildDirectory {
  #channelGuild = new Map<string, string>();

  constructor(readonly lookup: ChannelLookup) {}

  /** Records a guild's channels and active threads from GUILD_CREATE. */
  addGuild(guild: { id: string; channels?: ChannelLike[]; threads?: ChannelLike[] }): void {
    for (const channel of [...(guild.channels ?? []), ...(guild.threads ?? [])]) {
      this.#channelGuild.set(channel.id, guild.id);
    }
  }

  /** Forgets a guild the bot left. */
  removeGuild(guildId: string): void {
    for (const [channelId, owner] of this.#channelGuild) {
      if (owner === guildId) this.#channelGuild.delete(channelId);
    }
  }

  /** Records a channel or thread from CHANNEL_CREATE / THREAD_CREATE. */
  addChannel(channel: ChannelLike): void {
    if (channel.guild_id) this.#channelGuild.set(channel.id, channel.guild_id);
  }

  /** Forgets a deleted channel. */
  removeChannel(channelId: string): void {
    this.#channelGuild.delete(channelId);
  }

  /** The guild a channel belongs to, or undefined for DMs and unknown channels. */
  async guildOf(channelId: string): Promise<string | undefined> {
    const known = this.#channelGuild.get(channelId);
    if (known) return known;
    const found = await this.lookup(channelId).catch(() => null);
    if (found?.guildId) this.#channelGuild.set(channelId, found.guildId);
    return found?.guildId;
  }

  /**
   * Throws unless the channel belongs to the guild.
   *
   * @example
   * ```ts
   * await directory.assertChannelInGuild("guild-id", "channel-id");
   * ```
   */
  async assertChannelInGuild(guildId: string, channelId: string): Promise<void> {
    const owner = await this.guildOf(channelId);
    if (owner !== guildId) {
      throw new Error(`channel ${channelId} is not a channel of this guild`);
    }
  }
}
