/**
 * CacheStore on Redis: `<prefix>cache:<key>` → JSON text, expiring via PXAT.
 *
 * @module
 */

import { checkEphemeralKey, checkTtl, encodeEphemeralValue } from "../ephemeral_common.ts";
import type { CacheStore, JsonValue } from "../types.ts";
import type { RedisClient } from "./connect.ts";

const decoder = new TextDecoder();

export class RedisCacheStore implements CacheStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix = "flora:") {
    this.#redis = redis;
    this.#prefix = `${prefix}cache:`;
  }

  async get(key: string): Promise<JsonValue | undefined> {
    checkEphemeralKey(key, "cache key");
    const text = await this.#redis.get(this.#prefix + key);
    return text === null ? undefined : JSON.parse(text);
  }

  async set(key: string, value: JsonValue, ttlMs: number): Promise<void> {
    checkEphemeralKey(key, "cache key");
    const ttl = checkTtl(ttlMs, "ttlMs");
    const json = decoder.decode(encodeEphemeralValue(value, "cache value"));
    // PXAT from our clock: the entry is gone by the time `Date.now() + ttl` has passed here.
    await this.#redis.set(this.#prefix + key, json, {
      expiration: { type: "PXAT", value: Date.now() + ttl },
    });
  }

  async delete(key: string): Promise<boolean> {
    checkEphemeralKey(key, "cache key");
    return (await this.#redis.del(this.#prefix + key)) > 0;
  }
}
