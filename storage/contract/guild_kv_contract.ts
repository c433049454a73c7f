/**
 * The GuildKvStore contract: every backend runs these cases.
 *
 * @module
 */

import type { GuildKvQuota } from "../guild_kv_limits.ts";
import { type GuildKvStore, StorageInputError } from "../types.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import {
  type ContractCase,
  type ContractOptions,
  type Factory,
  registerContract,
  waitUntilPast,
} from "./harness.ts";

type Case = ContractCase<GuildKvStore, Partial<GuildKvQuota>>;

const G = "111111111111111111";

const cases: Case[] = [
  {
    name: "set then get returns value, metadata and a version",
    async run(kv) {
      assertEquals(await kv.get(G, "s", "k"), null);
      const set = await kv.set(G, "s", "k", { a: [1, "two", null, true] }, { metadata: { m: 1 } });
      assertEquals(set.key, "k");
      assertEquals(set.value, { a: [1, "two", null, true] });
      assertEquals(set.metadata, { m: 1 });
      assertEquals(set.expiresAt, undefined);
      assert(typeof set.version === "string" && set.version.length > 0, "version is a string");
      assertEquals(await kv.get(G, "s", "k"), set);
    },
  },
  {
    name: "overwriting changes the version and drops old metadata",
    async run(kv) {
      const first = await kv.set(G, "s", "k", 1, { metadata: "m" });
      const second = await kv.set(G, "s", "k", 2);
      assert(first.version !== second.version, "version changed");
      assertEquals(await kv.get(G, "s", "k"), second);
      assertEquals(second.metadata, undefined);
    },
  },
  {
    name: "guilds and stores are isolated",
    async run(kv) {
      await kv.set(G, "a", "k", "guild 1, store a");
      await kv.set(G, "b", "k", "guild 1, store b");
      await kv.set("222", "a", "k", "guild 2, store a");
      assertEquals((await kv.get(G, "a", "k"))?.value, "guild 1, store a");
      assertEquals((await kv.get(G, "b", "k"))?.value, "guild 1, store b");
      assertEquals((await kv.get("222", "a", "k"))?.value, "guild 2, store a");
      assertEquals((await kv.list("222", "b")).entries, []);
    },
  },
  {
    name: "delete reports whether an entry existed",
    async run(kv) {
      await kv.set(G, "s", "k", 1);
      assertEquals(await kv.delete(G, "s", "k"), true);
      assertEquals(await kv.delete(G, "s", "k"), false);
      assertEquals(await kv.get(G, "s", "k"), null);
    },
  },
  {
    name: "entries expire after their TTL",
    async run(kv) {
      const entry = await kv.set(G, "s", "short", "bye", { ttlMs: 5 });
      const kept = await kv.set(G, "s", "long", "stay", { ttlMs: 3_600_000 });
      assert(entry.expiresAt !== undefined, "expiresAt set");
      assertEquals((await kv.get(G, "s", "long"))?.expiresAt, kept.expiresAt);
      await waitUntilPast(entry.expiresAt);
      assertEquals(await kv.get(G, "s", "short"), null);
      assertEquals((await kv.list(G, "s")).entries.map((e) => e.key), ["long"]);
      assertEquals(await kv.delete(G, "s", "short"), false);
    },
  },
  {
    name: "an expired entry counts as absent for compareAndSet and increment",
    async run(kv) {
      const a = await kv.set(G, "s", "a", "old", { ttlMs: 5 });
      const b = await kv.set(G, "s", "b", 41, { ttlMs: 5 });
      await waitUntilPast(Math.max(a.expiresAt ?? 0, b.expiresAt ?? 0));
      assert((await kv.compareAndSet(G, "s", "a", null, "new")) !== null, "CAS on expired");
      assertEquals(await kv.increment(G, "s", "b", 1), 1);
      assertEquals((await kv.get(G, "s", "b"))?.expiresAt, undefined);
    },
  },
  {
    name: "stores lists stores that hold live entries",
    async run(kv) {
      assertEquals(await kv.stores(G), []);
      await kv.set(G, "beta", "k", 1);
      await kv.set(G, "alpha", "k", 1);
      await kv.set(G, "alpha", "k2", 1);
      const gone = await kv.set(G, "temp", "k", 1, { ttlMs: 5 });
      assertEquals((await kv.stores(G)).sort().filter((s) => s !== "temp"), ["alpha", "beta"]);
      await kv.delete(G, "beta", "k");
      await waitUntilPast(gone.expiresAt ?? 0);
      assertEquals(await kv.stores(G), ["alpha"]);
    },
  },
  {
    name: "list pages through a prefix with a cursor, in key order",
    async run(kv) {
      const keys = Array.from({ length: 25 }, (_, i) => `user:${String(i).padStart(2, "0")}`);
      for (const key of [...keys].reverse()) await kv.set(G, "s", key, key);
      await kv.set(G, "s", "user", "no colon");
      await kv.set(G, "s", "usex", "after");
      await kv.set(G, "s", "apple", "before");
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await kv.list(G, "s", { prefix: "user:", limit: 10, cursor });
        seen.push(...page.entries.map((e) => e.key));
        assert(page.entries.every((e) => e.value === e.key), "values come with the page");
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined);
      assertEquals(seen, keys);
      assertEquals(pages, 3);
      const exact = await kv.list(G, "s", { prefix: "user:", limit: 25 });
      assertEquals(exact.entries.length, 25);
      assertEquals(exact.cursor, undefined, "no cursor when nothing follows");
      const all = await kv.list(G, "s");
      assertEquals(all.entries.length, 28);
      assertEquals(all.entries[0].key, "apple");
    },
  },
  {
    name: "list refuses bad limits and cursors",
    async run(kv) {
      await kv.set(G, "s", "k", 1);
      await assertRejects(() => kv.list(G, "s", { limit: 0 }), StorageInputError);
      await assertRejects(() => kv.list(G, "s", { limit: 1001 }), StorageInputError);
      await assertRejects(() => kv.list(G, "s", { cursor: "not a cursor!" }), StorageInputError);
    },
  },
  {
    name: "compareAndSet checks the version (null means absent)",
    async run(kv) {
      const created = await kv.compareAndSet(G, "s", "k", null, "v1");
      assert(created !== null, "create when absent");
      assertEquals(await kv.compareAndSet(G, "s", "k", null, "again"), null);
      const updated = await kv.compareAndSet(G, "s", "k", created.version, "v2", {
        metadata: { by: "cas" },
      });
      assert(updated !== null, "update with current version");
      assertEquals(updated.metadata, { by: "cas" });
      assertEquals(await kv.compareAndSet(G, "s", "k", created.version, "stale"), null);
      assertEquals((await kv.get(G, "s", "k"))?.value, "v2");
    },
  },
  {
    name: "concurrent compareAndSet from the same version: exactly one wins",
    async run(kv) {
      const base = await kv.set(G, "s", "k", 0);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => kv.compareAndSet(G, "s", "k", base.version, i + 1)),
      );
      assertEquals(results.filter((r) => r !== null).length, 1);
    },
  },
  {
    name: "increment is atomic and starts from 0",
    async run(kv) {
      assertEquals(await kv.increment(G, "s", "n", 5), 5);
      assertEquals(await kv.increment(G, "s", "n", -2), 3);
      await Promise.all(Array.from({ length: 40 }, () => kv.increment(G, "s", "c", 1)));
      assertEquals((await kv.get(G, "s", "c"))?.value, 40);
      assertEquals(await kv.increment(G, "s", "f", 0.5), 0.5);
    },
  },
  {
    name: "increment keeps metadata and TTL, refuses non-numbers",
    async run(kv) {
      const set = await kv.set(G, "s", "n", 1, { ttlMs: 3_600_000, metadata: "m" });
      assertEquals(await kv.increment(G, "s", "n", 1), 2);
      const after = await kv.get(G, "s", "n");
      assertEquals(after?.metadata, "m");
      assertEquals(after?.expiresAt, set.expiresAt);
      await kv.set(G, "s", "text", "abc");
      await assertRejects(() => kv.increment(G, "s", "text", 1), StorageInputError, "not a number");
      await kv.set(G, "s", "null", null);
      await assertRejects(() => kv.increment(G, "s", "null", 1), StorageInputError, "not a number");
      await assertRejects(() => kv.increment(G, "s", "n", Infinity), StorageInputError);
    },
  },
  {
    name: "names, keys, values and metadata are checked against the limits",
    async run(kv) {
      for (const store of ["", "a b", "x".repeat(65), "ü"]) {
        await assertRejects(() => kv.set(G, store, "k", 1), StorageInputError, "store name");
      }
      await kv.set(G, "A-z_0.9", "k", 1);
      await assertRejects(() => kv.set(G, "s", "", 1), StorageInputError, "key");
      // "é" is 2 bytes in UTF-8: 256 of them are exactly 512 bytes.
      await kv.set(G, "s", "é".repeat(256), 1);
      await assertRejects(() => kv.set(G, "s", "é".repeat(257), 1), StorageInputError, "512");
      await assertRejects(
        () => kv.set(G, "s", "k", "x".repeat(64 * 1024)),
        StorageInputError,
        "65538 bytes",
      );
      await assertRejects(
        () => kv.set(G, "s", "k", 1, { metadata: "m".repeat(1024) }),
        StorageInputError,
        "metadata",
      );
      await assertRejects(() => kv.set(G, "s", "k", NaN), StorageInputError);
      await assertRejects(() => kv.set(G, "s", "k", 1, { ttlMs: -1 }), StorageInputError, "ttlMs");
      await assertRejects(() => kv.set("", "s", "k", 1), StorageInputError, "guild");
    },
  },
  {
    name: "a value and metadata at their limits round-trip",
    async run(kv) {
      const value = "é".repeat((64 * 1024 - 2) / 2); // 65 536 bytes of JSON
      const metadata = "m".repeat(1022); // 1 024 bytes of JSON
      const set = await kv.set(G, "s", "big", value, { metadata });
      const got = await kv.get(G, "s", "big");
      assertEquals(got?.value, value);
      assertEquals(got?.metadata, metadata);
      assertEquals(got?.version, set.version);
      assertEquals((await kv.list(G, "s")).entries[0]?.value, value);
      // Replacing a big record with a small one leaves nothing of the old behind.
      await kv.set(G, "s", "big", 1);
      assertEquals((await kv.get(G, "s", "big"))?.value, 1);
      assertEquals(await kv.delete(G, "s", "big"), true);
    },
  },
  {
    name: "the per-store entry cap is enforced",
    options: { maxEntriesPerStore: 3 },
    async run(kv) {
      for (const key of ["a", "b", "c"]) await kv.set(G, "s", key, 1);
      await kv.set(G, "s", "a", 2); // overwriting does not add an entry
      await assertRejects(() => kv.set(G, "s", "d", 1), StorageInputError, "at most 3 entries");
      await kv.set(G, "other", "d", 1); // the cap is per store
      await kv.delete(G, "s", "a");
      await kv.set(G, "s", "d", 1);
    },
  },
  {
    name: "the guild byte quota counts bytes and is released by delete and expiry",
    options: { maxGuildBytes: 4096 },
    async run(kv) {
      await kv.set(G, "s", "a", "x".repeat(1500));
      await kv.set(G, "s", "b", "x".repeat(1500));
      await assertRejects(
        () => kv.set(G, "s", "c", "x".repeat(1500)),
        StorageInputError,
        "quota",
      );
      // Another guild has its own quota.
      await kv.set("other", "s", "c", "x".repeat(1500));
      // Shrinking is always allowed; the freed bytes are available again.
      await kv.set(G, "s", "a", "small");
      await kv.set(G, "s", "c", "x".repeat(1500));
      await kv.delete(G, "s", "c");
      const temp = await kv.set(G, "s", "t", "x".repeat(2000), { ttlMs: 5 });
      await waitUntilPast(temp.expiresAt ?? 0);
      await kv.set(G, "s", "c", "x".repeat(2000));
    },
  },
  {
    name: "atomic writes several keys at once when every check holds",
    async run(kv) {
      const alice = await kv.set(G, "bank", "alice", 50);
      const ok = await kv.atomic(G, [
        { store: "bank", key: "alice", version: alice.version },
        { store: "bank", key: "bob", version: null },
      ], [
        { store: "bank", key: "alice", value: 40 },
        { store: "bank", key: "bob", value: 10 },
        { store: "log", key: "1", value: "alice paid bob 10" },
      ]);
      assertEquals(ok, true);
      assertEquals((await kv.get(G, "bank", "alice"))?.value, 40);
      assertEquals((await kv.get(G, "bank", "bob"))?.value, 10);
      assertEquals((await kv.get(G, "log", "1"))?.value, "alice paid bob 10");
      assertEquals((await kv.stores(G)).sort(), ["bank", "log"]);
    },
  },
  {
    name: "atomic writes nothing when one check fails",
    async run(kv) {
      const stale = await kv.set(G, "bank", "alice", 50);
      await kv.set(G, "bank", "alice", 60);
      const ok = await kv.atomic(G, [
        { store: "bank", key: "alice", version: stale.version },
        { store: "bank", key: "bob", version: null },
      ], [
        { store: "bank", key: "alice", value: 0 },
        { store: "bank", key: "bob", value: 50 },
      ]);
      assertEquals(ok, false);
      assertEquals((await kv.get(G, "bank", "alice"))?.value, 60);
      assertEquals(await kv.get(G, "bank", "bob"), null);
      await kv.set(G, "bank", "carol", 1);
      assertEquals(
        await kv.atomic(G, [{ store: "bank", key: "carol", version: null }], []),
        false,
        "a null version means absent",
      );
    },
  },
  {
    name: "atomic deletes, and counts entries and bytes like single writes",
    options: { maxEntriesPerStore: 2 },
    async run(kv) {
      await kv.set(G, "s", "a", 1);
      await kv.set(G, "s", "b", 2);
      assertEquals(
        await kv.atomic(G, [], [{ store: "s", key: "a", delete: true }, {
          store: "s",
          key: "c",
          value: 3,
        }]),
        true,
      );
      assertEquals((await kv.list(G, "s")).entries.map((e) => e.key), ["b", "c"]);
      await assertRejects(
        () => kv.atomic(G, [], [{ store: "s", key: "d", value: 4 }]),
        StorageInputError,
        "at most 2 entries",
      );
      assertEquals(await kv.atomic(G, [], [{ store: "s", key: "zz", delete: true }]), true);
      assertEquals((await kv.list(G, "s")).entries.map((e) => e.key), ["b", "c"]);
    },
  },
  {
    name: "atomic refuses more than 10 keys, a key written twice and bad versions",
    async run(kv) {
      const writes = Array.from({ length: 11 }, (_, i) => ({ store: "s", key: `k${i}`, value: i }));
      await assertRejects(() => kv.atomic(G, [], writes), StorageInputError, "at most 10 keys");
      await assertRejects(
        () =>
          kv.atomic(G, [], [{ store: "s", key: "a", value: 1 }, {
            store: "s",
            key: "a",
            value: 2,
          }]),
        StorageInputError,
        "written twice",
      );
      await assertRejects(
        () => kv.atomic(G, [{ store: "s", key: "a", version: 5 as unknown as string }], []),
        StorageInputError,
        "version",
      );
      assertEquals((await kv.list(G, "s")).entries, []);
    },
  },
  {
    name: "concurrent atomic transfers never lose or create money",
    async run(kv) {
      await kv.set(G, "bank", "a", 100);
      await kv.set(G, "bank", "b", 100);
      const transfer = async (from: string, to: string) => {
        while (true) {
          const [x, y] = [await kv.get(G, "bank", from), await kv.get(G, "bank", to)];
          const ok = await kv.atomic(G, [
            { store: "bank", key: from, version: x!.version },
            { store: "bank", key: to, version: y!.version },
          ], [
            { store: "bank", key: from, value: (x!.value as number) - 1 },
            { store: "bank", key: to, value: (y!.value as number) + 1 },
          ]);
          if (ok) return;
        }
      };
      await Promise.all([
        ...Array.from({ length: 10 }, () => transfer("a", "b")),
        ...Array.from({ length: 5 }, () => transfer("b", "a")),
      ]);
      assertEquals((await kv.get(G, "bank", "a"))?.value, 95);
      assertEquals((await kv.get(G, "bank", "b"))?.value, 105);
    },
  },
];

/** Registers the GuildKvStore contract; the factory must honour the quota it is given. */
export function guildKvStoreContract(
  backend: string,
  factory: Factory<GuildKvStore, Partial<GuildKvQuota>>,
  options: ContractOptions = {},
): void {
  registerContract(`GuildKvStore contract (${backend})`, factory, cases, options);
}
