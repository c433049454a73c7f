/**
 * Storage contracts. One interface per concern; each has an embedded
 * implementation on a Deno KV file (`storage/embedded/`) and, where the
 * mission asks for one, a production backend (`storage/postgres/`,
 * `storage/redis/`). Callers depend on these interfaces only.
 *
 * @module
 */

// A JSON value (what the per-guild KV holds) and a log line's level: one home, shared with
// the protocol and the SDK.
import type { JsonValue, LogLevel } from "../runtime/sandbox/protocol/values.ts";
import type { SortedEntry, SortedPage } from "../runtime/sandbox/protocol/sorted_operations.ts";
import {
  type KvRefArgs,
  type KvWriteArgs,
  MAX_TRANSACTION_KEYS,
} from "../runtime/sandbox/protocol/kv_transaction_operations.ts";
export type { JsonValue, LogLevel, SortedEntry, SortedPage };

/** Lifecycle of a deployment. */
export type DeploymentStatus =
  /** Stored, not yet loaded by the runtime. */
  | "pending"
  /** Loaded and serving the guild's events. */
  | "active"
  /** Failed to load; the previous active deployment (if any) keeps running. */
  | "failed"
  /** Was active, replaced by a newer deployment. */
  | "superseded"
  /**
   * Was active, stopped by the runtime because it kept failing (crash loop);
   * `error` says why. Serves nothing until the guild deploys again.
   */
  | "suspended";

/** A bundled script as uploaded by the CLI. */
export interface ScriptBundle {
  /** The entry file name as the author knows it (e.g. `src/main.ts`), for messages. */
  entry: string;
  /** One ES module, JavaScript, with every local import inlined. */
  code: string;
  /** Source map (JSON text) for `code`, used to map stack traces to the author's files. */
  sourceMap?: string;
}

/** A stored deployment of a script to one guild. */
export interface Deployment {
  /** Unique id (ULID-like, sortable by creation time). */
  id: string;
  guildId: string;
  /** 1, 2, 3… per guild, in creation order. */
  revision: number;
  status: DeploymentStatus;
  /** Why the deployment failed to load (`failed`) or was stopped (`suspended`). */
  error?: string;
  /** Who created it (token name or user id). */
  createdBy: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, last status change. */
  updatedAt: string;
  bundle: ScriptBundle;
  /**
   * Hosts the script may fetch from (`storage/host_patterns.ts`); absent or
   * empty: outbound fetch is off. Present only when non-empty.
   */
  fetchHosts?: string[];
  /**
   * While `pending`: the deploying host renews this (ISO 8601) as it works.
   * Past it, the host is presumed dead and any host may finish or fail the
   * deployment. Absent on deployments that were never renewed.
   */
  leaseUntil?: string;
  /**
   * The application commands the script registered when it loaded (Discord's
   * JSON), recorded before they are sent to Discord. Absent until then.
   */
  commands?: JsonValue[];
}

/** What an in-flight deploy records about itself (see `DeploymentStore.recordProgress`). */
export interface DeploymentProgress {
  /** Renewed lease end. */
  leaseUntil: Date;
  /** The loaded script's commands, once known. */
  commands?: JsonValue[];
}

/** What a caller provides to create a deployment. */
export interface NewDeployment {
  guildId: string;
  createdBy: string;
  bundle: ScriptBundle;
  /** Hosts the script may fetch from; checked and normalised by the store. */
  fetchHosts?: string[];
}

/** Deployments and their revisions. */
export interface DeploymentStore {
  /** Stores a new `pending` deployment; resolves only once it is durable. */
  create(input: NewDeployment): Promise<Deployment>;
  /**
   * Changes a deployment's status. Marking one `active` marks the guild's
   * previously active deployment `superseded` in the same transaction.
   */
  setStatus(id: string, status: DeploymentStatus, error?: string): Promise<Deployment>;
  get(id: string): Promise<Deployment | null>;
  /** The guild's active deployment, if any. */
  current(guildId: string): Promise<Deployment | null>;
  /** The guild's deployments, newest first. */
  list(guildId: string, options?: { limit?: number }): Promise<Deployment[]>;
  /** Every guild's active deployment (used at start to restore the runtime). */
  listActive(): Promise<Deployment[]>;
  /**
   * Renews a `pending` deployment's lease and records its commands (when
   * given). Resolves false, changing nothing, when it is no longer pending.
   */
  recordProgress(id: string, progress: DeploymentProgress): Promise<boolean>;
  /** Every guild's `pending` deployments, oldest first (hosts finish or fail orphans at start). */
  listPending(): Promise<Deployment[]>;
  /** The hash of the commands last sent to Discord for the guild, or null. */
  registeredCommands(guildId: string): Promise<string | null>;
  /** Records the hash of the commands being sent to Discord for the guild (before sending). */
  setRegisteredCommands(guildId: string, hash: string): Promise<void>;
}

/** One entry of a guild's KV store. */
export interface KvEntry {
  key: string;
  value: JsonValue;
  metadata?: JsonValue;
  /** Epoch milliseconds after which the entry is gone, if set with a TTL. */
  expiresAt?: number;
  /** Opaque version for compare-and-set. */
  version: string;
}

export interface KvSetOptions {
  /** Time to live in milliseconds. */
  ttlMs?: number;
  metadata?: JsonValue;
}

export interface KvListOptions {
  prefix?: string;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  /** Page size, 1–1000 (default 100). */
  limit?: number;
}

export interface KvPage {
  entries: KvEntry[];
  /** Present when more entries follow. */
  cursor?: string;
}

/**
 * Per-guild key-value stores (named stores inside a guild). Every method
 * takes the guild id first; the runtime passes the sandbox's own guild,
 * never an id the script supplied.
 */
export interface GuildKvStore {
  get(guildId: string, store: string, key: string): Promise<KvEntry | null>;
  set(
    guildId: string,
    store: string,
    key: string,
    value: JsonValue,
    options?: KvSetOptions,
  ): Promise<KvEntry>;
  delete(guildId: string, store: string, key: string): Promise<boolean>;
  list(guildId: string, store: string, options?: KvListOptions): Promise<KvPage>;
  /**
   * Sets `key` to `value` only if its current version is `expectedVersion`
   * (`null`: only if absent). Resolves to the new entry, or `null` when the
   * check failed.
   */
  compareAndSet(
    guildId: string,
    store: string,
    key: string,
    expectedVersion: string | null,
    value: JsonValue,
    options?: KvSetOptions,
  ): Promise<KvEntry | null>;
  /** Adds `by` to a numeric value (absent counts as 0); resolves to the new value. */
  increment(guildId: string, store: string, key: string, by: number): Promise<number>;
  /** Names of the guild's stores that hold at least one entry. */
  stores(guildId: string): Promise<string[]>;
  /**
   * Applies `writes` only if every key in `checks` is still at its version
   * (null: absent), all at once: up to {@linkcode MAX_TRANSACTION_KEYS}
   * distinct keys across the guild's stores. Resolves to false, writing
   * nothing, when a check failed.
   */
  atomic(guildId: string, checks: KvCheck[], writes: KvWrite[]): Promise<boolean>;
}

/** Most distinct keys one {@linkcode GuildKvStore.atomic} call may check or write. */
export { MAX_TRANSACTION_KEYS };

/** A key of one of a guild's stores. */
export type KvRef = KvRefArgs;

/** "This key is still at this version" (null: still absent). */
export type KvCheck = KvRef & { version: string | null };

/** A write of an atomic operation: set a value, or delete the key. */
export type KvWrite = KvWriteArgs;

// ---------------------------------------------------------------------------
// Sorted sets (leaderboards)

/** Which part of a sorted set {@linkcode GuildSortedStore.range} returns. */
export interface SortedRangeOptions {
  /** Lowest score included (default: no bound). */
  min?: number;
  /** Highest score included (default: no bound). */
  max?: number;
  /** Page size, 1–1000 (default 100). */
  limit?: number;
  /** Opaque cursor from a previous page of the same range. */
  cursor?: string;
}

/**
 * Per-guild sorted sets: numeric scores by key, read in order, highest score
 * first (ties: key in ascending order). Every method takes the guild id
 * first; the runtime passes the sandbox's own guild. Writes are atomic.
 */
export interface GuildSortedStore {
  /** Adds `by` to the key's score (absent counts as 0); resolves to the new score. */
  incr(guildId: string, set: string, key: string, by: number): Promise<number>;
  /** Sets the key's score. */
  set(guildId: string, set: string, key: string, score: number): Promise<void>;
  /** The key's score, or null when absent. */
  score(guildId: string, set: string, key: string): Promise<number | null>;
  /** Removes the key; resolves to whether it was there. */
  delete(guildId: string, set: string, key: string): Promise<boolean>;
  /** The `n` highest-scored keys, highest first. */
  top(guildId: string, set: string, n: number): Promise<SortedEntry[]>;
  /** The key's position, 1 for the highest score, or null when absent. */
  rank(guildId: string, set: string, key: string): Promise<number | null>;
  /** Keys with `min ≤ score ≤ max`, highest first, a page at a time. */
  range(guildId: string, set: string, options?: SortedRangeOptions): Promise<SortedPage>;
}

/** Thrown for input a store refuses (limits, bad names); the message says what to fix. */
export class StorageInputError extends Error {
  override name = "StorageInputError";
}

/** The record an operation needs does not exist (e.g. `setStatus` on an unknown id). */
export class StorageNotFoundError extends Error {
  override name = "StorageNotFoundError";
}

// ---------------------------------------------------------------------------
// API tokens

/** An API token as stored. The secret is never stored, only its hash. */
export interface ApiToken {
  /** Sortable unique id; also appears in the secret so a token can be recognised in logs. */
  id: string;
  /** Human label, e.g. "ci" or "alice's laptop". */
  name: string;
  /** What the token may do; interpreted by the API (e.g. `deploy:<guildId>`, `admin`). */
  scopes: string[];
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601; absent for tokens that do not expire. */
  expiresAt?: string;
  /** ISO 8601; set once revoked (revoked tokens stay listed for audit). */
  revokedAt?: string;
}

export interface NewApiToken {
  name: string;
  scopes: string[];
  /** Lifetime in milliseconds; omit for a token that does not expire. */
  ttlMs?: number;
}

/** Issues and checks API tokens. */
export interface TokenStore {
  /** Creates a token; `secret` is returned here once and cannot be recovered later. */
  create(input: NewApiToken): Promise<{ token: ApiToken; secret: string }>;
  /** The token a secret belongs to, or null if unknown, revoked or expired. */
  verify(secret: string): Promise<ApiToken | null>;
  /** Revokes a token; false when the id is unknown or already revoked. */
  revoke(id: string): Promise<boolean>;
  /** Every token (including revoked and expired ones), newest first. */
  list(): Promise<ApiToken[]>;
}

// ---------------------------------------------------------------------------
// Guild secrets

/** What may be shown about a secret: never its value. */
export interface SecretInfo {
  name: string;
  /** ISO 8601. */
  updatedAt: string;
  /**
   * Hosts a script may send the secret to (`storage/host_patterns.ts`). Empty:
   * no host, the secret cannot be used in requests.
   */
  allowedHosts: string[];
}

/** Options of {@linkcode SecretStore.put}. */
export interface SecretOptions {
  /** Hosts a script may send the secret to; replaces the previous list. Default: none. */
  allowedHosts?: string[];
}

/** A secret as the runtime uses it: its value and where it may go. */
export interface RevealedSecret extends SecretInfo {
  value: string;
}

/**
 * Per-guild secrets (bot tokens of third-party APIs…), encrypted at rest with
 * AES-GCM. Only the runtime calls `reveal`, to hand values to the guild's sandbox.
 */
export interface SecretStore {
  put(guildId: string, name: string, value: string, options?: SecretOptions): Promise<SecretInfo>;
  delete(guildId: string, name: string): Promise<boolean>;
  /** Names and update times, sorted by name. */
  list(guildId: string): Promise<SecretInfo[]>;
  /** The decrypted value, or null when absent. Runtime only: never expose through the API. */
  reveal(guildId: string, name: string): Promise<string | null>;
  /**
   * The decrypted value with the hosts it may be sent to, or null when
   * absent. Runtime only (outbound fetch substitutes it host-side).
   */
  revealEntry(guildId: string, name: string): Promise<RevealedSecret | null>;
}

// ---------------------------------------------------------------------------
// Sessions

/** A dashboard/API login session. */
export interface Session {
  /** Unguessable random id (the cookie value). */
  id: string;
  userId: string;
  data: JsonValue;
  /** ISO 8601. */
  createdAt: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** Sessions that disappear after their TTL. */
export interface SessionStore {
  create(userId: string, data: JsonValue, ttlMs: number): Promise<Session>;
  /** The session, or null when unknown or expired. */
  get(id: string): Promise<Session | null>;
  /** Extends a live session to `ttlMs` from now; null when unknown or expired. */
  touch(id: string, ttlMs: number): Promise<Session | null>;
  delete(id: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------
// Cache

/** A shared cache of JSON values with a TTL (e.g. Discord API responses). */
export interface CacheStore {
  /** The cached value, or undefined on a miss (`null` is a value that can be cached). */
  get(key: string): Promise<JsonValue | undefined>;
  set(key: string, value: JsonValue, ttlMs: number): Promise<void>;
  delete(key: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------
// Rate limits

export interface RateLimitResult {
  allowed: boolean;
  /** Hits left in the current window (0 when refused). */
  remaining: number;
  /** Epoch milliseconds when the window resets. */
  resetAt: number;
}

/** Sliding-window counters, shared by every host using the same backend. */
export interface RateLimitStore {
  /**
   * Counts one hit on `key`; allowed while the last `windowMs` hold at most
   * `limit` allowed hits (refused hits are not counted). A sliding window,
   * approximated from two fixed windows (`ephemeral_common.ts`, `slidingWindow`).
   */
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
}

// ---------------------------------------------------------------------------
// Guild logs

/** One line a guild's script logged (or the runtime logged about it). */
export interface LogRecord {
  /** Increasing per guild; pass to `since` to read what followed. */
  id: string;
  guildId: string;
  level: LogLevel;
  message: string;
  deploymentId?: string;
  /** ISO 8601. */
  at: string;
}

export interface NewLogRecord {
  level: LogLevel;
  message: string;
  deploymentId?: string;
}

/** Per-guild bounded ring buffers of log records that survive restarts. */
export interface LogStore {
  append(guildId: string, record: NewLogRecord): Promise<LogRecord>;
  /** The last `limit` records (default 100), oldest first. */
  recent(guildId: string, limit?: number): Promise<LogRecord[]>;
  /** Records after `id`, oldest first (those already overwritten by the ring are gone). */
  since(guildId: string, id: string, limit?: number): Promise<LogRecord[]>;
}

// ---------------------------------------------------------------------------
// Deployment change notifications

/** Published after a deployment's status changed, so every host reloads that guild. */
export interface DeploymentChange {
  guildId: string;
  deploymentId: string;
  status: DeploymentStatus;
}

/** A live subscription; close it to stop receiving and release resources. */
export interface Subscription {
  close(): Promise<void>;
}

/** Broadcast of deployment changes to every subscriber on every host sharing the backend. */
export interface DeploymentEvents {
  publish(change: DeploymentChange): Promise<void>;
  /** Resolves once the subscription is established (changes published after that are delivered). */
  subscribe(listener: (change: DeploymentChange) => void): Promise<Subscription>;
}
