/**
 * CacheStore on Deno KV: `["cache", key]` → `{ expiresAt, json }` with
 * `expireIn`; the expiry is checked on read because Deno KV's is lazy.
 *
 * @module
 */

import { checkEphemeralKey, checkTtl, encodeEphemeralValue } from "../ephemeral_common.ts";
import type { CacheStore, JsonValue } from "../types.ts";
import { AGAIN, done, retryAtomic, write } from "./retry.ts";

interface CachedValue {
  expiresAt: number;
  json: Uint8Array;
}

const cacheKey = (key: string): Deno.KvKey => ["cache", key];
const decoder = new TextDecoder();

export class KvCacheStore implements CacheStore {
  readonly #kv: Deno.Kv;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async get(key: string): Promise<JsonValue | undefined> {
    checkEphemeralKey(key, "cache key");
    const entry = await this.#kv.get<CachedValue>(cacheKey(key));
    if (entry.value === null || entry.value.expiresAt <= Date.now()) return undefined;
    return JSON.parse(decoder.decode(entry.value.json));
  }

  async set(key: string, value: JsonValue, ttlMs: number): Promise<void> {
    checkEphemeralKey(key, "cache key");
    const ttl = checkTtl(ttlMs, "ttlMs");
    const json = encodeEphemeralValue(value, "cache value");
    const cached: CachedValue = { expiresAt: Date.now() + ttl, json };
    await write("set cache", () => this.#kv.set(cacheKey(key), cached, { expireIn: ttl }));
  }

  /** True only for the caller whose delete removed a live entry (callers use it for one-time codes). */
  async delete(key: string): Promise<boolean> {
    checkEphemeralKey(key, "cache key");
    return await retryAtomic("delete cache", async () => {
      const entry = await this.#kv.get<CachedValue>(cacheKey(key));
      if (entry.value === null) return done(false);
      const result = await this.#kv.atomic().check(entry).delete(cacheKey(key)).commit();
      return result.ok ? done(entry.value.expiresAt > Date.now()) : AGAIN;
    });
  }
}
