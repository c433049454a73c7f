/**
 * The GuildSortedStore contract: every backend runs these cases.
 *
 * @module
 */

import type { SortedQuota } from "../sorted_limits.ts";
import { type GuildSortedStore, StorageInputError } from "../types.ts";
import { assertEquals, assertRejects } from "./assert.ts";
import {
  type ContractCase,
  type ContractOptions,
  type Factory,
  registerContract,
} from "./harness.ts";

type Case = ContractCase<GuildSortedStore, Partial<SortedQuota>>;

const G = "111111111111111111";
const OTHER = "222222222222222222";

const cases: Case[] = [
  {
    name: "incr adds to a score (absent counts as 0) and score reads it",
    async run(s) {
      assertEquals(await s.score(G, "xp", "alice"), null);
      assertEquals(await s.incr(G, "xp", "alice", 5), 5);
      assertEquals(await s.incr(G, "xp", "alice", 2.5), 7.5);
      assertEquals(await s.incr(G, "xp", "alice", -10), -2.5);
      assertEquals(await s.score(G, "xp", "alice"), -2.5);
    },
  },
  {
    name: "top returns the highest scores first, ties by key",
    async run(s) {
      await s.set(G, "xp", "carol", 10);
      await s.set(G, "xp", "alice", 30);
      await s.set(G, "xp", "bob", 10);
      await s.set(G, "xp", "dave", -5);
      await s.set(G, "xp", "erin", 0);
      assertEquals(await s.top(G, "xp", 3), [
        { key: "alice", score: 30 },
        { key: "bob", score: 10 },
        { key: "carol", score: 10 },
      ]);
      assertEquals((await s.top(G, "xp", 10)).map((e) => e.key), [
        "alice",
        "bob",
        "carol",
        "erin",
        "dave",
      ]);
      assertEquals(await s.top(G, "empty", 5), []);
    },
  },
  {
    name: "rank is the 1-based position in that order, null when absent",
    async run(s) {
      await s.set(G, "xp", "a", 1);
      await s.set(G, "xp", "b", 3);
      await s.set(G, "xp", "c", 3);
      assertEquals(await s.rank(G, "xp", "b"), 1);
      assertEquals(await s.rank(G, "xp", "c"), 2);
      assertEquals(await s.rank(G, "xp", "a"), 3);
      assertEquals(await s.rank(G, "xp", "nobody"), null);
      await s.incr(G, "xp", "a", 5);
      assertEquals(await s.rank(G, "xp", "a"), 1);
      assertEquals(await s.rank(G, "xp", "c"), 3);
    },
  },
  {
    name: "changing a score moves the key (one entry per key)",
    async run(s) {
      await s.set(G, "xp", "a", 1);
      await s.set(G, "xp", "a", 100);
      await s.incr(G, "xp", "a", 1);
      assertEquals(await s.top(G, "xp", 10), [{ key: "a", score: 101 }]);
    },
  },
  {
    name: "range filters by min and max (inclusive) and pages with a cursor",
    async run(s) {
      for (let i = 1; i <= 9; i++) await s.set(G, "xp", `k${i}`, i * 10);
      await s.set(G, "xp", "k5b", 50);
      const first = await s.range(G, "xp", { min: 20, max: 60, limit: 2 });
      assertEquals(first.entries, [{ key: "k6", score: 60 }, { key: "k5", score: 50 }]);
      const second = await s.range(G, "xp", { min: 20, max: 60, limit: 2, cursor: first.cursor });
      assertEquals(second.entries, [{ key: "k5b", score: 50 }, { key: "k4", score: 40 }]);
      const third = await s.range(G, "xp", { min: 20, max: 60, limit: 2, cursor: second.cursor });
      assertEquals(third.entries, [{ key: "k3", score: 30 }, { key: "k2", score: 20 }]);
      assertEquals(third.cursor, undefined);
      assertEquals((await s.range(G, "xp")).entries.length, 10);
      assertEquals((await s.range(G, "xp", { min: 85 })).entries, [{ key: "k9", score: 90 }]);
      assertEquals((await s.range(G, "xp", { max: 10 })).entries, [{ key: "k1", score: 10 }]);
    },
  },
  {
    name: "a key removed between pages does not break the cursor",
    async run(s) {
      for (const k of ["a", "b", "c", "d"]) await s.set(G, "xp", k, 1);
      const first = await s.range(G, "xp", { limit: 2 });
      assertEquals(first.entries.map((e) => e.key), ["a", "b"]);
      await s.delete(G, "xp", "b");
      const rest = await s.range(G, "xp", { limit: 2, cursor: first.cursor });
      assertEquals(rest.entries.map((e) => e.key), ["c", "d"]);
    },
  },
  {
    name: "delete reports whether the key was there",
    async run(s) {
      await s.set(G, "xp", "a", 1);
      assertEquals(await s.delete(G, "xp", "a"), true);
      assertEquals(await s.delete(G, "xp", "a"), false);
      assertEquals(await s.top(G, "xp", 5), []);
      assertEquals(await s.rank(G, "xp", "a"), null);
    },
  },
  {
    name: "guilds and sets are isolated",
    async run(s) {
      await s.set(G, "xp", "a", 1);
      await s.set(G, "coins", "a", 2);
      await s.set(OTHER, "xp", "a", 3);
      assertEquals(await s.score(G, "xp", "a"), 1);
      assertEquals(await s.score(G, "coins", "a"), 2);
      assertEquals(await s.top(OTHER, "xp", 5), [{ key: "a", score: 3 }]);
      assertEquals(await s.top(OTHER, "coins", 5), []);
      await s.delete(OTHER, "xp", "a");
      assertEquals(await s.score(G, "xp", "a"), 1);
    },
  },
  {
    name: "concurrent incr of one key loses no update",
    async run(s) {
      await Promise.all(Array.from({ length: 20 }, () => s.incr(G, "xp", "hot", 1)));
      assertEquals(await s.score(G, "xp", "hot"), 20);
    },
  },
  {
    name: "bad input is refused with what to change",
    async run(s) {
      await assertRejects(() => s.incr(G, "xp", "a", Infinity), StorageInputError, "finite");
      await assertRejects(() => s.set(G, "xp", "a", NaN), StorageInputError, "finite");
      await assertRejects(() => s.set(G, "bad name", "a", 1), StorageInputError, "store name");
      await assertRejects(() => s.set(G, "xp", "", 1), StorageInputError, "non-empty");
      await assertRejects(() => s.top(G, "xp", 0), StorageInputError, "1 to 1000");
      await assertRejects(() => s.range(G, "xp", { min: 5, max: 1 }), StorageInputError, "min");
      await assertRejects(
        () => s.range(G, "xp", { cursor: "not-a-cursor" }),
        StorageInputError,
        "cursor",
      );
      await s.set(G, "xp", "big", Number.MAX_VALUE);
      await assertRejects(
        () => s.incr(G, "xp", "big", Number.MAX_VALUE),
        StorageInputError,
        "overflow",
      );
      assertEquals(await s.score(G, "xp", "big"), Number.MAX_VALUE);
    },
  },
  {
    name: "a set and a guild hold a bounded number of keys",
    options: { maxKeysPerSet: 2, maxKeysPerGuild: 3 },
    async run(s) {
      await s.set(G, "a", "1", 1);
      await s.set(G, "a", "2", 1);
      await assertRejects(() => s.set(G, "a", "3", 1), StorageInputError, "at most 2 keys");
      await s.incr(G, "a", "2", 1); // existing keys still change
      await s.set(G, "b", "1", 1);
      await assertRejects(() => s.incr(G, "b", "2", 1), StorageInputError, "at most 3 keys");
      await s.set(OTHER, "a", "1", 1); // another guild has its own quota
      await s.delete(G, "a", "1");
      await s.set(G, "b", "2", 1); // freed room is usable again
    },
  },
];

/** Registers the GuildSortedStore contract; the factory must honour the quota it is given. */
export function guildSortedStoreContract(
  backend: string,
  factory: Factory<GuildSortedStore, Partial<SortedQuota>>,
  options: ContractOptions = {},
): void {
  registerContract(`GuildSortedStore contract (${backend})`, factory, cases, options);
}
