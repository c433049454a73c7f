/**
 * `sorted(name)`: the guild's sorted sets, for leaderboards and rankings.
 * Kept by the host (Deno KV or PostgreSQL); limits are enforced there and
 * reported as errors saying what to change.
 *
 * @example
 * ```ts
 * const xp = sorted("xp");
 * await xp.incr(userId, 10);
 * const best = await xp.top(10); // [{ key, score }…], highest first
 * const place = await xp.rank(userId); // 1 = first
 * ```
 *
 * @module
 */

import { call } from "./bridge.ts";
import { checkStoreName } from "./kv.ts";
import type { SortedEntry, SortedPage, SortedStore } from "./types.ts";

/** Returns the guild's sorted set called `name`; sets need no creation. */
export function sorted(name: string): SortedStore {
  checkStoreName(name, "sorted set");
  const store = name;
  return Object.freeze(
    {
      name,
      async incr(key, by = 1) {
        return await call("sorted.incr", { store, key, by }) as number;
      },
      async set(key, score) {
        await call("sorted.set", { store, key, score });
      },
      async score(key) {
        return await call("sorted.score", { store, key }) as number | null;
      },
      async delete(key) {
        return await call("sorted.delete", { store, key }) as boolean;
      },
      async top(n) {
        return await call("sorted.top", { store, n }) as SortedEntry[];
      },
      async rank(key) {
        return await call("sorted.rank", { store, key }) as number | null;
      },
      async range(options = {}) {
        // ±Infinity means no bound, and JSON cannot carry it to the host.
        const { min, max, ...rest } = options;
        return await call("sorted.range", {
          store,
          ...rest,
          ...(min === undefined || min === -Infinity ? {} : { min }),
          ...(max === undefined || max === Infinity ? {} : { max }),
        }) as SortedPage;
      },
    } satisfies SortedStore,
  );
}
