/**
 * Keeps a dev data dir's KV data across `flora dev` restarts. The emulator
 * keeps its world (and so the guild's id) in the data dir; when that file was
 * deleted, or the data dir predates it, the guild id changes, and KV data is
 * keyed by guild, so the dev guild's id is remembered in the data dir and, when it changes,
 * the previous guild's stores are copied to the new one (then removed from
 * the old). Copy before delete: an interrupted move is redone next start.
 *
 * @example
 * ```ts
 * const moved = await carryOverGuildData(flora.guildKv, ".flora/dev", guild.id);
 * ```
 *
 * @module
 */

import type { GuildKvStore } from "../storage/types.ts";

const FILE = "dev-guild.json";

/** Moves the previous dev guild's KV data to `guildId`; resolves to the entries moved. */
export async function carryOverGuildData(
  kv: GuildKvStore,
  dataDir: string,
  guildId: string,
): Promise<number> {
  const path = `${dataDir}/${FILE}`;
  let previous: string | undefined;
  try {
    const saved = JSON.parse(await Deno.readTextFile(path));
    if (typeof saved?.guildId === "string") previous = saved.guildId;
  } catch { /* first start in this dir */ }
  let moved = 0;
  if (previous && previous !== guildId) {
    // flora.* stores are the runtime's own (cron state): they belong to the old guild's deployment.
    const stores = (await kv.stores(previous)).filter((s) => !s.startsWith("flora."));
    for (const store of stores) {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await kv.list(previous, store, { cursor, limit: 1000 });
        for (const entry of page.entries) {
          const ttlMs = entry.expiresAt === undefined
            ? undefined
            : Math.max(1, entry.expiresAt - Date.now());
          await kv.set(guildId, store, entry.key, entry.value, {
            metadata: entry.metadata,
            ttlMs,
          });
          keys.push(entry.key);
        }
        cursor = page.cursor;
      } while (cursor);
      for (const key of keys) await kv.delete(previous, store, key);
      moved += keys.length;
    }
  }
  await Deno.writeTextFile(path, JSON.stringify({ guildId }) + "\n");
  return moved;
}
