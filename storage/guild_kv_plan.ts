/**
 * What a guild KV write will store, decided before any backend touches its
 * database: the checks every backend applies to an address, and the plans of
 * `set` and `increment` (values serialised once, limits enforced once).
 *
 * @module
 */

import {
  checkGuildId,
  checkIncrement,
  checkKey,
  checkSetOptions,
  checkStoreName,
  DEFAULT_GUILD_KV_QUOTA,
  encodeJson,
  type GuildKvQuota,
  MAX_METADATA_BYTES,
  MAX_VALUE_BYTES,
} from "./guild_kv_limits.ts";
import { type JsonValue, type KvEntry, type KvSetOptions, StorageInputError } from "./types.ts";
import { WriteRateLimiter } from "./write_rate.ts";

/** A write decided from the entry's current (live) state. */
export interface PlannedWrite {
  value: JsonValue;
  valueBytes: Uint8Array;
  metadata?: JsonValue;
  metadataBytes?: Uint8Array;
  expiresAt?: number;
}

const decoder = new TextDecoder();

/** Checks a guild id, store name and key together (each throws StorageInputError). */
export function checkAddress(guildId: string, store: string, key: string): void {
  checkGuildId(guildId);
  checkStoreName(store);
  checkKey(key);
}

/**
 * The write of `set` and `compareAndSet`: the value and metadata serialised and
 * checked, the TTL turned into an absolute expiry.
 *
 * @example
 * ```ts
 * const plan = planSet({ n: 1 }, { ttlMs: 60_000 });
 * plan.valueBytes; // UTF-8 of '{"n":1}'
 * ```
 */
export function planSet(value: JsonValue, options: KvSetOptions | undefined): PlannedWrite {
  const valueBytes = encodeJson(value, "value", MAX_VALUE_BYTES);
  const { expiresAt, metadata } = checkSetOptions(options, Date.now());
  return {
    // Round-trip so the returned entry equals what a later get returns.
    value: JSON.parse(decoder.decode(valueBytes)),
    valueBytes,
    ...(metadata === undefined ? {} : {
      metadata: JSON.parse(decoder.decode(metadata)),
      metadataBytes: metadata,
    }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/**
 * The write of `increment` on the live entry (null: absent, counts as 0). Like
 * Redis INCR, the entry keeps its metadata and expiry.
 *
 * @example
 * ```ts
 * planIncrement("s", "n", null, 5).value; // 5
 * ```
 */
export function planIncrement(
  store: string,
  key: string,
  live: KvEntry | null,
  by: number,
): PlannedWrite {
  const current = live === null ? 0 : live.value;
  if (typeof current !== "number") {
    throw new StorageInputError(`cannot increment ${store}/${key}: its value is not a number`);
  }
  const value = current + by;
  if (!Number.isFinite(value)) {
    throw new StorageInputError(`incrementing ${store}/${key} would overflow`);
  }
  return {
    value,
    valueBytes: encodeJson(value, "value", MAX_VALUE_BYTES),
    ...(live?.metadata === undefined ? {} : {
      metadata: live.metadata,
      metadataBytes: encodeJson(live.metadata, "metadata", MAX_METADATA_BYTES),
    }),
    ...(live?.expiresAt === undefined ? {} : { expiresAt: live.expiresAt }),
  };
}

/**
 * The write methods every guild KV backend shares: input checks, the write
 * rate, and the plan of each write. A backend supplies `write`, which applies
 * a decision atomically against the entry's current state.
 */
export abstract class PlannedGuildKv {
  protected readonly quota: GuildKvQuota;
  readonly #writeRate: WriteRateLimiter;

  constructor(quota: Partial<GuildKvQuota> = {}) {
    this.quota = { ...DEFAULT_GUILD_KV_QUOTA, ...quota };
    this.#writeRate = new WriteRateLimiter(this.quota.maxWritesPerMinute);
  }

  /**
   * Atomically reads the entry, passes the live one (null: absent or expired)
   * to `decide`, and stores what it returns (null: store nothing).
   */
  protected abstract write(
    guildId: string,
    store: string,
    key: string,
    decide: (live: KvEntry | null) => PlannedWrite | null,
  ): Promise<KvEntry | null>;

  /** Checks an address and counts a write against the guild's rate (throws when over). */
  protected takeWrite(guildId: string, store: string, key: string): void {
    checkAddress(guildId, store, key);
    this.#writeRate.take(guildId);
  }

  async set(
    guildId: string,
    store: string,
    key: string,
    value: JsonValue,
    options?: KvSetOptions,
  ): Promise<KvEntry> {
    checkAddress(guildId, store, key);
    const plan = planSet(value, options);
    this.takeWrite(guildId, store, key);
    const entry = await this.write(guildId, store, key, () => plan);
    if (entry === null) throw new Error("unreachable: unconditional set was refused");
    return entry;
  }

  async compareAndSet(
    guildId: string,
    store: string,
    key: string,
    expectedVersion: string | null,
    value: JsonValue,
    options?: KvSetOptions,
  ): Promise<KvEntry | null> {
    checkAddress(guildId, store, key);
    if (expectedVersion !== null && typeof expectedVersion !== "string") {
      throw new StorageInputError("expectedVersion must be a version string or null");
    }
    const plan = planSet(value, options);
    this.takeWrite(guildId, store, key);
    return await this.write(guildId, store, key, (live) => {
      const matches = expectedVersion === null ? live === null : live?.version === expectedVersion;
      return matches ? plan : null;
    });
  }

  async increment(guildId: string, store: string, key: string, by: number): Promise<number> {
    checkAddress(guildId, store, key);
    checkIncrement(by);
    this.takeWrite(guildId, store, key);
    const entry = await this.write(
      guildId,
      store,
      key,
      (live) => planIncrement(store, key, live, by),
    );
    if (entry === null) throw new Error("unreachable: increment was refused");
    return entry.value as number;
  }
}
