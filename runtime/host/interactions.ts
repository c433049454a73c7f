/**
 * Interactions the host delivered to each guild, so a script can answer
 * only its own, and only with the token Discord gave the host (never one a
 * script supplies).
 *
 * @module
 */

/** Discord accepts follow-ups with an interaction token for 15 minutes. */
export const INTERACTION_TOKEN_TTL_MS = 15 * 60 * 1000;

export interface InteractionRecord {
  id: string;
  guildId: string;
  token: string;
  receivedAt: number;
}

/** interaction id → guild and token, for 15 minutes. */
export class InteractionRegistry {
  #records = new Map<string, InteractionRecord>();

  constructor(readonly now: () => number = Date.now) {}

  /** Remembers an INTERACTION_CREATE the host is about to deliver. */
  record(interaction: { id: string; token: string; guild_id?: string }): void {
    if (!interaction.guild_id) return; // DMs are not any guild's
    this.#prune();
    this.#records.set(interaction.id, {
      id: interaction.id,
      guildId: interaction.guild_id,
      token: interaction.token,
      receivedAt: this.now(),
    });
  }

  /** The interaction, if it belongs to the guild and its token is still valid; else throws. */
  forGuild(guildId: string, interactionId: string): InteractionRecord {
    const record = this.#records.get(interactionId);
    if (!record || record.guildId !== guildId) {
      throw new Error(`interaction ${interactionId} is not an interaction of this guild`);
    }
    if (this.now() - record.receivedAt > INTERACTION_TOKEN_TTL_MS) {
      this.#records.delete(interactionId);
      throw new Error(`interaction ${interactionId} has expired (tokens last 15 minutes)`);
    }
    return record;
  }

  #prune(): void {
    const cutoff = this.now() - INTERACTION_TOKEN_TTL_MS;
    for (const [id, record] of this.#records) {
      if (record.receivedAt >= cutoff) break; // insertion order is arrival order
      this.#records.delete(id);
    }
  }
}
