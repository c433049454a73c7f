/**
 * Contracts of the short-lived stores (sessions, cache, rate limits): every
 * backend runs these cases.
 *
 * @module
 */

import {
  type CacheStore,
  type RateLimitStore,
  type SessionStore,
  StorageInputError,
} from "../types.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import {
  type ContractCase,
  type ContractOptions,
  type Factory,
  registerContract,
  waitUntilPast,
} from "./harness.ts";

const sessionCases: ContractCase<SessionStore>[] = [
  {
    name: "create, get, touch and delete",
    async run(sessions) {
      const session = await sessions.create("user:1", { role: "admin" }, 60_000);
      assertEquals(session.id.length, 43);
      assertEquals(await sessions.get(session.id), session);
      const touched = await sessions.touch(session.id, 120_000);
      assert(touched !== null && touched.expiresAt > session.expiresAt, "touch extends");
      assertEquals((await sessions.get(session.id))?.expiresAt, touched.expiresAt);
      assertEquals(await sessions.delete(session.id), true);
      assertEquals(await sessions.delete(session.id), false);
      assertEquals(await sessions.get(session.id), null);
      assertEquals(await sessions.touch(session.id, 1000), null);
      assertEquals(await sessions.get("garbage"), null);
    },
  },
  {
    name: "sessions expire",
    async run(sessions) {
      const session = await sessions.create("user:1", null, 5);
      await waitUntilPast(session.expiresAt);
      assertEquals(await sessions.get(session.id), null);
      assertEquals(await sessions.touch(session.id, 60_000), null);
    },
  },
  {
    name: "bad input is refused",
    async run(sessions) {
      await assertRejects(() => sessions.create("", null, 1000), StorageInputError);
      await assertRejects(() => sessions.create("u", null, 0), StorageInputError, "ttlMs");
    },
  },
];

const cacheCases: ContractCase<CacheStore>[] = [
  {
    name: "set, get and delete (null is a value, undefined a miss)",
    async run(cache) {
      assertEquals(await cache.get("k"), undefined);
      await cache.set("k", null, 60_000);
      assertEquals(await cache.get("k"), null);
      await cache.set("k", { list: [1, 2, "three"] }, 60_000);
      assertEquals(await cache.get("k"), { list: [1, 2, "three"] });
      assertEquals(await cache.delete("k"), true);
      assertEquals(await cache.delete("k"), false);
      assertEquals(await cache.get("k"), undefined);
    },
  },
  {
    name: "concurrent deletes: exactly one caller removes the entry (one-time codes)",
    async run(cache) {
      await cache.set("code", { user: 1 }, 60_000);
      const results = await Promise.all(Array.from({ length: 10 }, () => cache.delete("code")));
      assertEquals(results.filter((removed) => removed).length, 1);
    },
  },
  {
    name: "entries expire",
    async run(cache) {
      await cache.set("k", "v", 5);
      // The entry expires at most 5 ms after set resolved.
      await waitUntilPast(Date.now() + 5);
      assertEquals(await cache.get("k"), undefined);
    },
  },
  {
    name: "bad input is refused",
    async run(cache) {
      await assertRejects(() => cache.set("", 1, 1000), StorageInputError);
      await assertRejects(() => cache.set("k", 1, -5), StorageInputError);
      await assertRejects(() => cache.set("k", "x".repeat(61 * 1024), 1000), StorageInputError);
    },
  },
];

const rateCases: ContractCase<RateLimitStore>[] = [
  {
    name: "allows up to the limit within a window, concurrently",
    async run(limits) {
      const results = await Promise.all(
        Array.from({ length: 8 }, () => limits.hit("route:1", 5, 3_600_000)),
      );
      const allowed = results.filter((r) => r.allowed);
      assert(results.filter((r) => !r.allowed).every((r) => r.remaining === 0), "refused: 0 left");
      // Unless the run straddled an (hour-long) window boundary, exactly the limit got through.
      if (new Set(allowed.map((r) => r.resetAt)).size === 1) {
        assertEquals(allowed.length, 5);
        assertEquals(allowed.map((r) => r.remaining).sort(), [0, 1, 2, 3, 4]);
      }
      assertEquals((await limits.hit("route:2", 5, 3_600_000)).remaining, 4, "keys are separate");
    },
  },
  {
    name: "a new window starts fresh",
    async run(limits) {
      const first = await limits.hit("k", 1, 20);
      const second = await limits.hit("k", 1, 20);
      // Within the same window the second hit is refused.
      if (second.resetAt === first.resetAt) assertEquals(second.allowed, false);
      await waitUntilPast(second.resetAt);
      assertEquals((await limits.hit("k", 1, 20)).allowed, true);
    },
  },
  {
    name: "a burst across a window boundary does not get the limit twice",
    async run(limits) {
      const windowMs = 3_000;
      // Start late in a window, so the burst's window ends soon.
      const late = Math.floor(Date.now() / windowMs) * windowMs + windowMs * 0.7;
      if (Date.now() < late) await waitUntilPast(late);
      const burst = await Promise.all(
        Array.from({ length: 5 }, () => limits.hit("b", 5, windowMs)),
      );
      const windowEnd = burst[0].resetAt;
      if (burst.every((r) => r.allowed && r.resetAt === windowEnd)) {
        await waitUntilPast(windowEnd);
        // A fixed window would allow 5 more at once; the sliding one still counts the burst.
        const after = await limits.hit("b", 5, windowMs);
        assertEquals(after.allowed, false);
        assert(after.resetAt > windowEnd, "it says when the next hit fits");
      }
    },
  },
  {
    name: "bad input is refused",
    async run(limits) {
      await assertRejects(() => limits.hit("k", 0, 1000), StorageInputError);
      await assertRejects(() => limits.hit("k", 1, 0), StorageInputError);
      await assertRejects(() => limits.hit("", 1, 1000), StorageInputError);
    },
  },
];

export function sessionStoreContract(
  backend: string,
  factory: Factory<SessionStore>,
  options: ContractOptions = {},
): void {
  registerContract(`SessionStore contract (${backend})`, factory, sessionCases, options);
}

export function cacheStoreContract(
  backend: string,
  factory: Factory<CacheStore>,
  options: ContractOptions = {},
): void {
  registerContract(`CacheStore contract (${backend})`, factory, cacheCases, options);
}

export function rateLimitStoreContract(
  backend: string,
  factory: Factory<RateLimitStore>,
  options: ContractOptions = {},
): void {
  registerContract(`RateLimitStore contract (${backend})`, factory, rateCases, options);
}
