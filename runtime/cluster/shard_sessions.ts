/**
 * What gateway nodes share about shards besides their leases, in one
 * JetStream KV bucket (`<prefix>_gateway`):
 *
 * - **Sessions** (`session.N`): each shard's session id, resume URL and the
 *   last sequence its holder published contiguously, so the node that takes
 *   the shard next RESUMEs and Discord replays everything after it. Every
 *   write carries the writer's lease token and is a compare-and-set, so a
 *   holder that lost its lease (paused past it) cannot overwrite what a later
 *   holder wrote.
 * - **Identify slots** (`identify.B`): one IDENTIFY per `max_concurrency`
 *   bucket per interval (Discord's 5 s) across every gateway node; each
 *   identify claims its bucket's slot by compare-and-set first.
 *
 * @module
 */

import type { KV, KvEntry } from "@nats-io/kv";
import type { ShardSession } from "../host/gateway_resume.ts";
import { KeyedQueue } from "../../storage/embedded/keyed_queue.ts";
import { casOrNull } from "./leases.ts";

/** A shard's stored session, as written by the holder whose lease token it carries. */
interface StoredSession extends ShardSession {
  totalShards: number;
  /** Fencing token of the writer's shard lease. */
  token: number;
  holder: string;
}

/** Sessions of the shards, read by a new holder and written by the current one. */
export class ShardSessionStore {
  readonly #kv: KV;
  readonly #holder: string;
  /** Revision of the last entry this node read or wrote, per shard (the next write's check). */
  readonly #revisions = new Map<number, number>();
  /** This node's writes of one shard, one at a time. */
  readonly #writes = new KeyedQueue();

  constructor(kv: KV, holder: string) {
    this.#kv = kv;
    this.#holder = holder;
  }

  /**
   * The session stored for `shardId`, or null (none, or one for another shard
   * count, which Discord would not resume as this shard).
   */
  async read(shardId: number, totalShards: number): Promise<ShardSession | null> {
    const entry = await this.#kv.get(key(shardId));
    this.#remember(shardId, entry);
    const stored = entry?.operation === "PUT" ? parse(entry) : null;
    if (stored === null || stored.totalShards !== totalShards) return null;
    return { sessionId: stored.sessionId, resumeUrl: stored.resumeUrl, seq: stored.seq };
  }

  /**
   * Stores the session of a shard held under lease `token`. Resolves to false
   * when a later tenure (larger token) has written since: this node lost the
   * shard and must stop it. Throws when the write kept missing without a later
   * tenure's record to show for it.
   *
   * This node's writes of one shard go one at a time: side by side (a store
   * round starting while the last one still waits on a slow bus), they compared
   * against the same revision, all but one missed, and after three misses one
   * reported the shard lost to a later holder that did not exist. The gateway
   * node then stopped a shard whose lease it still held and renewed (bench
   * --cluster at load 15–46: 3 runs of 8, every later event lost).
   */
  write(
    shardId: number,
    session: ShardSession,
    totalShards: number,
    token: number,
  ): Promise<boolean> {
    return this.#writes.run(
      String(shardId),
      () => this.#write(shardId, session, totalShards, token),
    );
  }

  async #write(
    shardId: number,
    session: ShardSession,
    totalShards: number,
    token: number,
  ): Promise<boolean> {
    const value = JSON.stringify(
      { ...session, totalShards, token, holder: this.#holder } satisfies StoredSession,
    );
    for (let attempt = 0; attempt < 3; attempt++) {
      const revision = this.#revisions.get(shardId);
      const written = await casOrNull(() =>
        revision === undefined
          ? this.#kv.create(key(shardId), value)
          : this.#kv.update(key(shardId), value, revision)
      );
      if (written !== null) {
        this.#revisions.set(shardId, written);
        return true;
      }
      // Someone wrote since we last looked: an earlier holder's late write, or a later holder.
      const entry = await this.#kv.get(key(shardId));
      const stored = entry?.operation === "PUT" ? parse(entry) : null;
      if (stored !== null && stored.token > token) return false;
      this.#remember(shardId, entry);
    }
    throw new Error(
      `shard ${shardId}: the session was written by someone else three times in a row ` +
        "(no later holder's record found)",
    );
  }

  #remember(shardId: number, entry: KvEntry | null): void {
    if (entry?.operation === "PUT") this.#revisions.set(shardId, entry.revision);
    else this.#revisions.delete(shardId);
  }
}

/** A shard's stored resume point, as the operator view shows it. */
export interface StoredShardSession {
  shard: number;
  sessionId: string;
  /** Last sequence its holder published contiguously: a takeover resumes after it. */
  seq: number;
  totalShards: number;
  /** The gateway node that wrote it. */
  holder: string;
}

/** Every shard session stored in the bucket, by shard. */
export async function listShardSessions(kv: KV): Promise<StoredShardSession[]> {
  const keys = new Set<string>();
  for await (const name of await kv.keys("session.*")) keys.add(name);
  const sessions: StoredShardSession[] = [];
  for (const name of keys) {
    const entry = await kv.get(name);
    const stored = entry?.operation === "PUT" ? parse(entry) : null;
    if (stored === null) continue;
    const { sessionId, seq, totalShards, holder } = stored;
    sessions.push({
      shard: Number(name.slice("session.".length)),
      sessionId,
      seq,
      totalShards,
      holder,
    });
  }
  return sessions.sort((a, b) => a.shard - b.shard);
}

/** How identify slots are spaced. */
export interface IdentifyGateOptions {
  /** This node's id (recorded with each slot it claims). */
  holder: string;
  /**
   * Spacing of IDENTIFYs within one `max_concurrency` bucket, ms (Discord's rule).
   * @default 5_000
   */
  intervalMs?: number;
  /**
   * Extra wait for clocks that differ between nodes, ms.
   * @default 1_000
   */
  skewMs?: number;
  /** Clock (tests pass their own). @default Date.now */
  now?: () => number;
}

/**
 * One IDENTIFY per `max_concurrency` bucket per interval across all gateway
 * nodes: `wait(bucket)` resolves once this node claimed the bucket's next slot.
 *
 * @example
 * ```ts
 * const gate = new IdentifyGate(kv, { holder: "gw-1" });
 * if (await gate.wait(shardId % maxConcurrency, () => stillOwned)) await shard.identify();
 * ```
 */
export class IdentifyGate {
  readonly #kv: KV;
  readonly #holder: string;
  readonly #intervalMs: number;
  readonly #skewMs: number;
  readonly #now: () => number;

  constructor(kv: KV, options: IdentifyGateOptions) {
    this.#kv = kv;
    this.#holder = options.holder;
    this.#intervalMs = options.intervalMs ?? 5_000;
    this.#skewMs = options.skewMs ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Waits for and claims the next identify slot of `bucket`; resolves to
   * false, without claiming, once `stillWanted` says the identify is no longer
   * needed (e.g. the shard's lease was lost while waiting).
   */
  async wait(bucket: number, stillWanted: () => boolean = () => true): Promise<boolean> {
    const name = `identify.${bucket}`;
    while (stillWanted()) {
      const entry = await this.#kv.get(name);
      const last = entry?.operation === "PUT" ? entry.json<{ at: number }>().at : -Infinity;
      const wait = last + this.#intervalMs + this.#skewMs - this.#now();
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 1_000)));
        continue;
      }
      const value = JSON.stringify({ holder: this.#holder, at: this.#now() });
      const claimed = await casOrNull(() =>
        entry === null || entry.operation !== "PUT"
          ? this.#kv.create(name, value)
          : this.#kv.update(name, value, entry.revision)
      );
      if (claimed !== null) return true;
    }
    return false;
  }
}

const key = (shardId: number) => `session.${shardId}`;

function parse(entry: KvEntry): StoredSession | null {
  try {
    const stored = entry.json<Partial<StoredSession>>();
    const valid = typeof stored.sessionId === "string" && typeof stored.resumeUrl === "string" &&
      Number.isInteger(stored.seq) && Number.isInteger(stored.token) &&
      Number.isInteger(stored.totalShards);
    return valid ? stored as StoredSession : null;
  } catch {
    return null;
  }
}
