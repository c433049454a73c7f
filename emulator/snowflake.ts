/**
 * Discord snowflakes: 64-bit ids whose top 42 bits are milliseconds since the
 * Discord epoch. Clients (Discordeno, discord.js) read timestamps and shard
 * routing out of them, so the emulator makes real ones.
 *
 * @module
 */

/** Discord's epoch: the first millisecond of 2015 (UTC). */
export const DISCORD_EPOCH = 1420070400000n;

/** Mints unique snowflakes: timestamp, worker 1, process 0, 12-bit increment. */
export class SnowflakeGenerator {
  #increment = 0n;
  #lastMs = 0n;

  /** A new id for "now" (strictly increasing within this generator). */
  next(at: number = Date.now()): string {
    let ms = BigInt(at);
    if (ms < this.#lastMs) ms = this.#lastMs;
    if (ms === this.#lastMs) {
      this.#increment = (this.#increment + 1n) & 0xfffn;
      // The 4096 ids of one millisecond are spent: borrow the next millisecond.
      if (this.#increment === 0n) ms += 1n;
    } else {
      this.#increment = 0n;
    }
    this.#lastMs = ms;
    return (((ms - DISCORD_EPOCH) << 22n) | (1n << 17n) | this.#increment).toString();
  }
}

/** Milliseconds since the Unix epoch at which a snowflake was minted. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** Whether a string is a plausible snowflake (decimal, fits 64 bits). */
export function isSnowflake(value: unknown): value is string {
  if (typeof value !== "string" || !/^\d{1,20}$/.test(value)) return false;
  return BigInt(value) < 1n << 64n;
}

/** The shard a guild's events go to, as Discord documents it. */
export function shardForGuild(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}
