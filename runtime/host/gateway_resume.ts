/**
 * Gateway sessions that survive a host restart. For each shard the host
 * keeps the session id, the resume URL and the sequence of the last event it
 * fully handled (contiguously, `sequence_watermark.ts`), in the cache store
 * (shared by hosts, expiring with Discord's resume window). At start, a shard
 * with a stored session RESUMEs instead of identifying, so Discord replays
 * everything after that sequence: what arrived while the host was down, and
 * what it had not finished when it stopped.
 *
 * Discordeno 21 has no option for a stored session: its shards keep
 * `sessionId`, `resumeGatewayUrl` and `previousSequenceNumber` as public
 * fields and resume from them (`DiscordenoShard.resume()`). So the manager
 * is left to create each shard, and a shard with a stored session gets those
 * fields set and resumes instead of its first identify.
 *
 * @module
 */

import { type Bot, type DiscordenoShard, ShardState } from "@discordeno/bot";
import type { CacheStore, JsonValue } from "../../storage/types.ts";
import { SequenceWatermark } from "./sequence_watermark.ts";

/** What a shard needs to resume. */
export interface ShardSession {
  sessionId: string;
  resumeUrl: string;
  /** The last sequence fully handled. */
  seq: number;
}

/** The stored record: every shard's session, for one shard count. */
interface StoredSessions {
  totalShards: number;
  shards: Record<string, ShardSession>;
}

export interface GatewayResumeOptions {
  /** Cache key, one per bot (e.g. with its application id). */
  key: string;
  /** How long a stored session is worth resuming, ms. @default 300_000 (Discord: minutes) */
  ttlMs?: number;
  /** How often the marks are written while they move, ms. @default 250 */
  persistEveryMs?: number;
  /** Whether nothing is queued or running (then every received event is handled). */
  idle: () => boolean;
  /** Reports a failed write; the next tick tries again. */
  onError?: (error: unknown) => void;
}

type Gateway = Bot["gateway"];

/**
 * Tracks and stores each shard's resume point, and primes shards to resume.
 *
 * @example
 * ```ts
 * const resume = new GatewayResume(storage.cache, { key: `gateway:${appId}`, idle });
 * await resume.load();
 * resume.attach(bot.gateway);
 * // for each dispatch: const settled = resume.received(shardId, payload); route(payload, settled)
 * await bot.start();
 * resume.start();
 * ```
 */
export class GatewayResume {
  readonly #cache: CacheStore;
  readonly #options: Required<Omit<GatewayResumeOptions, "onError">> & {
    onError: (error: unknown) => void;
  };
  #stored: StoredSessions | null = null;
  #marks = new Map<number, SequenceWatermark>();
  #gateway: Gateway | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastWritten = "";
  /** Shards that resumed a stored session (for logs and tests). */
  readonly resumed: number[] = [];

  constructor(cache: CacheStore, options: GatewayResumeOptions) {
    this.#cache = cache;
    this.#options = { ttlMs: 300_000, persistEveryMs: 250, onError: () => {}, ...options };
  }

  /** Reads the stored sessions (call before the gateway starts). */
  async load(): Promise<void> {
    const value = await this.#cache.get(this.#options.key);
    this.#stored = isStoredSessions(value) ? value : null;
  }

  /** Primes each shard the manager creates with its stored session, if any. */
  attach(gateway: Gateway): void {
    this.#gateway = gateway;
    const shards = gateway.shards;
    const set = shards.set.bind(shards);
    shards.set = (id: number, shard: DiscordenoShard) => {
      const session = this.#stored?.totalShards === gateway.totalShards
        ? this.#stored.shards[String(id)]
        : undefined;
      if (session && !shards.has(id)) this.#prime(shard, session);
      return set(id, shard);
    };
  }

  #prime(shard: DiscordenoShard, session: ShardSession): void {
    this.#marks.set(shard.id, new SequenceWatermark(session.seq));
    primeResume(shard, session, () => this.resumed.push(shard.id));
  }

  /**
   * Counts a payload from a shard; returns what to call once it is fully
   * handled (a no-op for payloads without a sequence, or replays already counted).
   */
  received(shardId: number, payload: { t?: string | null; s?: number | null }): () => void {
    const seq = payload.s;
    if (typeof seq !== "number") return noop;
    let mark = this.#marks.get(shardId);
    // A new session numbers its events from 1.
    if (payload.t === "READY" || !mark) this.#marks.set(shardId, mark = new SequenceWatermark(0));
    if (!mark.received(seq)) return noop;
    const owner = mark;
    return () => owner.settled(seq);
  }

  /** Starts writing the marks as they move. */
  start(): void {
    this.#timer = setInterval(() => {
      if (this.#options.idle()) { for (const mark of this.#marks.values()) mark.settleAll(); }
      this.persist().catch(this.#options.onError);
    }, this.#options.persistEveryMs);
  }

  /** Stops the periodic writes (before intake stops: idle then says nothing about handling). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Writes every shard's session and mark now (skipped when unchanged). */
  async persist(): Promise<void> {
    const gateway = this.#gateway;
    if (!gateway) return;
    const shards: Record<string, ShardSession> = {};
    for (const [id, shard] of gateway.shards) {
      const mark = this.#marks.get(id);
      if (!shard.sessionId || !shard.resumeGatewayUrl || !mark) continue;
      shards[String(id)] = {
        sessionId: shard.sessionId,
        resumeUrl: shard.resumeGatewayUrl,
        seq: mark.value,
      };
    }
    const record: StoredSessions = { totalShards: gateway.totalShards, shards };
    const text = JSON.stringify(record);
    if (text === this.#lastWritten) return;
    await this.#cache.set(this.#options.key, record as unknown as JsonValue, this.#options.ttlMs);
    this.#lastWritten = text;
  }
}

const noop = () => {};

/**
 * Makes the shard's next identify a RESUME of `session` (replaying what came
 * after `session.seq`); when Discord refuses it (the session expired), the
 * shard identifies afresh, and its READY tells the manager. `onResumed` runs
 * once the resume succeeded. Whatever `shard.identify` was before (e.g. a
 * wrapper that waits for the identify rate limit) serves every later identify.
 *
 * @example
 * ```ts
 * primeResume(shard, { sessionId, resumeUrl, seq }, () => console.log("resumed"));
 * await shard.identify(); // resumes
 * ```
 */
export function primeResume(
  shard: DiscordenoShard,
  session: ShardSession,
  onResumed: () => void,
): void {
  shard.sessionId = session.sessionId;
  shard.resumeGatewayUrl = session.resumeUrl;
  shard.previousSequenceNumber = session.seq;
  const identify = shard.identify;
  const requestIdentify = shard.requestIdentify;
  // The manager's first identify becomes a resume; the previous identify serves later ones.
  shard.identify = async () => {
    shard.identify = identify;
    // Refused (the session expired): identify afresh; its READY tells the manager.
    shard.requestIdentify = async () => {
      shard.requestIdentify = requestIdentify;
      await shard.identify();
    };
    await shard.resume();
    if (shard.state === ShardState.Connected) {
      shard.requestIdentify = requestIdentify;
      onResumed();
      await shard.shardIsReady();
    }
  };
}

function isStoredSessions(value: unknown): value is StoredSessions {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<StoredSessions>;
  if (typeof v.totalShards !== "number" || typeof v.shards !== "object" || v.shards === null) {
    return false;
  }
  return Object.values(v.shards).every((s) =>
    typeof s?.sessionId === "string" && typeof s.resumeUrl === "string" &&
    Number.isInteger(s.seq) && s.seq >= 0
  );
}
