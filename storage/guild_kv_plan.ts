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
import {
  type JsonValue,
  type KvCheck,
  type KvEntry,
  type KvRef,
  type KvSetOptions,
  type KvWrite,
  MAX_TRANSACTION_KEYS,
  StorageInputError,
} from "./types.ts";
import { WriteRateLimiter } from "./write_rate.ts";

/** A write decided from the entry's current (live) state. */
export interface PlannedWrite {
  value: JsonValue;
  valueBytes: Uint8Array;
  metadata?: JsonValue;
  metadataBytes?: Uint8Array;
  expiresAt?: number;
}

/** What a multi-key write does to one key: store a plan, delete the key, or leave it. */
export type KeyChange = PlannedWrite | "delete" | "keep";

/**
 * The entry a backend stored for `plan`, as its write resolves to it.
 *
 * @example
 * ```ts
 * const entry = writtenEntry("k", planSet(1, undefined), "42");
 * // { key: "k", value: 1, version: "42" }
 * ```
 */
export function writtenEntry(key: string, plan: PlannedWrite, version: string): KvEntry {
  return {
    key,
    value: plan.value,
    ...(plan.metadata === undefined ? {} : { metadata: plan.metadata }),
    ...(plan.expiresAt === undefined ? {} : { expiresAt: plan.expiresAt }),
    version,
  };
}

/** Most bytes of values one atomic operation may write (Deno KV commits at most 800 KiB). */
export const MAX_TRANSACTION_BYTES = 512 * 1024;

const decoder = new TextDecoder();
const refId = (ref: KvRef) => JSON.stringify([ref.store, ref.key]);

/**
 * The distinct keys an atomic operation touches, checked: at most
 * {@linkcode MAX_TRANSACTION_KEYS}, each written at most once.
 */
export function transactionKeys(guildId: string, checks: KvCheck[], writes: KvWrite[]): KvRef[] {
  checkGuildId(guildId);
  if (!Array.isArray(checks) || !Array.isArray(writes)) {
    throw new StorageInputError("an atomic operation needs a list of checks and a list of writes");
  }
  const refs = new Map<string, KvRef>();
  const written = new Set<string>();
  for (const check of checks) {
    if (check.version !== null && typeof check.version !== "string") {
      throw new StorageInputError("a check's version must be a version string or null (absent)");
    }
  }
  for (const ref of [...checks, ...writes]) {
    checkAddress(guildId, ref.store, ref.key);
    refs.set(refId(ref), { store: ref.store, key: ref.key });
  }
  for (const write of writes) {
    if (written.has(refId(write))) {
      throw new StorageInputError(
        `${write.store}/${write.key} is written twice in one transaction`,
      );
    }
    written.add(refId(write));
  }
  if (refs.size > MAX_TRANSACTION_KEYS) {
    throw new StorageInputError(
      `a transaction may touch at most ${MAX_TRANSACTION_KEYS} keys; this one touches ${refs.size}`,
    );
  }
  return [...refs.values()];
}

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
   * The error of a write refused by the quota (after a sweep of expired
   * entries): over the guild's bytes when `overBytes`, else `fullStore` is full.
   */
  protected quotaError(overBytes: boolean, used: number, fullStore?: string): StorageInputError {
    return new StorageInputError(
      overBytes
        ? `guild storage quota exceeded: this write needs ${used} bytes in total; the limit is ${this.quota.maxGuildBytes}`
        : `store ${fullStore} is full: it may hold at most ${this.quota.maxEntriesPerStore} entries`,
    );
  }

  /**
   * Atomically reads the entries of `refs` (distinct keys), passes the live
   * ones (null: absent or expired) to `decide`, and applies the change it
   * returns for each key (null: change nothing). Resolves to the written
   * entries (null for a key deleted or left), or null when `decide` refused.
   */
  protected abstract writeMany(
    guildId: string,
    refs: KvRef[],
    decide: (lives: (KvEntry | null)[]) => KeyChange[] | null,
  ): Promise<(KvEntry | null)[] | null>;

  /** {@linkcode writeMany} for one key. */
  protected async write(
    guildId: string,
    store: string,
    key: string,
    decide: (live: KvEntry | null) => PlannedWrite | null,
  ): Promise<KvEntry | null> {
    const written = await this.writeMany(guildId, [{ store, key }], ([live]) => {
      const plan = decide(live);
      return plan === null ? null : [plan];
    });
    return written?.[0] ?? null;
  }

  async atomic(guildId: string, checks: KvCheck[], writes: KvWrite[]): Promise<boolean> {
    const refs = transactionKeys(guildId, checks, writes);
    const changes = new Map<string, KeyChange>();
    let bytes = 0;
    for (const write of writes) {
      const change = "delete" in write ? "delete" : planSet(write.value, undefined);
      if (change !== "delete") bytes += change.valueBytes.length;
      changes.set(refId(write), change);
    }
    if (bytes > MAX_TRANSACTION_BYTES) {
      throw new StorageInputError(
        `a transaction may write at most ${MAX_TRANSACTION_BYTES} bytes of values; this one writes ${bytes}`,
      );
    }
    for (const write of writes) this.takeWrite(guildId, write.store, write.key);
    const index = new Map(refs.map((ref, i) => [refId(ref), i]));
    const written = await this.writeMany(guildId, refs, (lives) => {
      const holds = checks.every((check) => {
        const live = lives[index.get(refId(check))!];
        return check.version === null ? live === null : live?.version === check.version;
      });
      return holds ? refs.map((ref) => changes.get(refId(ref)) ?? "keep") : null;
    });
    return written !== null;
  }

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
