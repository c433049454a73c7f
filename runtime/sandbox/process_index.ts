/**
 * Which shared sandbox process a guild's workers live in.
 *
 * @module
 */

/**
 * FNV-1a over the guild id: the same guild always lands on the same process.
 *
 * @example
 * ```ts
 * processIndex("123456789012345678", 4); // a stable number in 0..3
 * ```
 */
export function processIndex(guildId: string, processes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < guildId.length; i++) {
    hash ^= guildId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % processes;
}
