/**
 * Named leases in a JetStream KV bucket: who holds shard 3, who owns event
 * partition 17. Every change is a compare-and-set on the entry's revision, so
 * two nodes can never both take a lease; a lease that is not renewed expires,
 * and another node may then take it.
 *
 * Expiry is judged by clocks: a holder stops acting `safetyMs` before its
 * `expiresAt`, and a taker waits until `expiresAt + skewMs`, so as long as two
 * nodes' clocks differ by less than `skewMs + safetyMs` their tenures never
 * overlap (run NTP). A paused holder (GC, SIGSTOP) that wakes up finds its
 * lease past `validUntil` and must stop before doing anything else.
 *
 * Each tenure has a fencing token: the bucket revision at which it was taken.
 * Revisions only grow, so a later holder always has a larger token; resources
 * that see tokens (the event bus's consumers) refuse a smaller one.
 *
 * @module
 */

import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { Bucket, type KV, type KvEntry } from "@nats-io/kv";

/** One tenure of a lease, as its holder sees it. */
export interface Lease {
  name: string;
  holder: string;
  /** Fencing token: the revision at which this tenure began; larger for every later holder. */
  token: number;
  /** Revision of the last write (acquire or renew); the next renew must match it. */
  revision: number;
  /** Epoch ms at which others may take it (after their `skewMs`). */
  expiresAt: number;
  /**
   * Renewals of this tenure confirmed only after it had stopped being valid
   * (`isValid`: its holder was starved, or the bus slow); absent: none.
   */
  lapses?: number;
}

/** How a lease table behaves; every field but `holder` has a default. */
export interface LeaseOptions {
  /** This node's id (unique per process: e.g. host, pid and a random suffix). */
  holder: string;
  /**
   * How long a lease lasts without renewal, ms.
   * @default 10_000
   */
  ttlMs?: number;
  /**
   * Extra wait after another holder's expiry before taking its lease, ms (clock skew).
   * @default 1_000
   */
  skewMs?: number;
  /**
   * How long before its own expiry a holder stops acting (`validUntil`), ms.
   * @default 1_000
   */
  safetyMs?: number;
  /** Clock (tests pass their own). @default Date.now */
  now?: () => number;
}

/** What the bucket says about a lease, for anyone (e.g. the operator view). */
export interface LeaseState {
  holder: string;
  token: number;
  expiresAt: number;
}

interface StoredLease {
  holder: string;
  expiresAt: number;
  /** Absent on the write that began the tenure (its revision is the token). */
  token?: number;
}

const KEY = /^[-/_=.a-zA-Z0-9]+$/;

/** Leases on one KV bucket (e.g. `shards`, `partitions`), taken and renewed by one holder. */
export class LeaseTable {
  readonly #kv: KV;
  readonly holder: string;
  readonly ttlMs: number;
  readonly skewMs: number;
  readonly safetyMs: number;
  readonly #now: () => number;

  constructor(kv: KV, options: LeaseOptions) {
    const { holder, ttlMs = 10_000, skewMs = 1_000, safetyMs = 1_000, now = Date.now } = options;
    if (!KEY.test(holder)) {
      throw new RangeError(`lease holder ${JSON.stringify(holder)} must match ${KEY}`);
    }
    if (!(ttlMs > safetyMs) || safetyMs < 0 || skewMs < 0) {
      throw new RangeError(
        `lease ttlMs (${ttlMs}) must exceed safetyMs (${safetyMs}), both and skewMs (${skewMs}) ≥ 0`,
      );
    }
    this.#kv = kv;
    this.holder = holder;
    this.ttlMs = ttlMs;
    this.skewMs = skewMs;
    this.safetyMs = safetyMs;
    this.#now = now;
  }

  /**
   * Takes the lease `name` if it is free, expired (past `expiresAt + skewMs`)
   * or already ours; resolves to the new tenure, or null when another node
   * holds it or won the race.
   *
   * @example
   * ```ts
   * const leases = new LeaseTable(kv, { holder: "node-a" });
   * const lease = await leases.acquire("shard.0");
   * if (lease) setInterval(async () => { if (!await leases.renew(lease)) stopShard(0); }, 3_000);
   * ```
   */
  async acquire(name: string): Promise<Lease | null> {
    checkName(name);
    const entry = await this.#kv.get(name);
    const now = this.#now();
    const current = entry === null ? null : parse(entry);
    if (
      current !== null && current.holder !== this.holder && now < current.expiresAt + this.skewMs
    ) {
      return null;
    }
    const expiresAt = now + this.ttlMs;
    const value = JSON.stringify({ holder: this.holder, expiresAt } satisfies StoredLease);
    const revision = await casOrNull(() =>
      entry === null || entry.operation !== "PUT"
        ? this.#kv.create(name, value)
        : this.#kv.update(name, value, entry.revision)
    );
    if (revision === null) return null;
    return { name, holder: this.holder, token: revision, revision, expiresAt };
  }

  /**
   * Extends a tenure by `ttlMs`; resolves to the renewed lease, or null when it
   * was lost (taken by another node after expiring, or released): then stop
   * acting at once.
   *
   * A lease past its expiry that no other node took is renewed: the
   * compare-and-set on its revision proves nobody did (a taker's write moves
   * the revision, and once this renewal is stored a taker's write fails), so
   * the tenure goes on with its token. Its holder stopped acting meanwhile
   * (`isValid`). Refusing by the clock instead lost live shards and partitions
   * whose holder was merely starved: a gateway node whose renewal came 7 s
   * late (event loop lag 3.9 s at load 15–30) gave its only shard up and took
   * it again, and its resume came after Discord's replay buffer, losing
   * 22,336 of 50,000 events in `deno task bench --cluster`.
   */
  async renew(lease: Lease): Promise<Lease | null> {
    const now = this.#now();
    const expiresAt = now + this.ttlMs;
    const value = JSON.stringify(
      { holder: this.holder, expiresAt, token: lease.token } satisfies StoredLease,
    );
    let revision = await casOrNull(() => this.#kv.update(lease.name, value, lease.revision));
    if (revision === null) {
      // An earlier renewal of ours may have been stored with its answer lost (it timed out on
      // a busy node): the entry is then still this tenure's, one revision on.
      const entry = await this.#kv.get(lease.name);
      const stored = entry === null ? null : parse(entry);
      if (entry && stored?.holder === this.holder && stored.token === lease.token) {
        revision = await casOrNull(() => this.#kv.update(lease.name, value, entry.revision));
      }
    }
    if (revision === null) return null;
    // Judged on the answer's arrival: the holder's fence read the old lease until now.
    const lapses = (lease.lapses ?? 0) + (this.isValid(lease) ? 0 : 1);
    return { ...lease, revision, expiresAt, lapses };
  }

  /** Gives a lease up at once (on shutdown or rebalance); false when it was no longer ours. */
  async release(lease: Lease): Promise<boolean> {
    return await casOrNull(async () => {
      await this.#kv.delete(lease.name, { previousSeq: lease.revision });
      return lease.revision;
    }) !== null;
  }

  /** The last instant a holder of `lease` may act (its expiry minus `safetyMs`). */
  validUntil(lease: Lease): number {
    return lease.expiresAt - this.safetyMs;
  }

  /** Whether the holder of `lease` may still act now. */
  isValid(lease: Lease): boolean {
    return this.#now() < this.validUntil(lease);
  }

  /** Every lease held now (not released, not expired), by name. */
  async list(): Promise<Map<string, LeaseState>> {
    const names = await this.#names();
    const entries = await Promise.all(names.map((name) => this.#kv.get(name)));
    const held = new Map<string, LeaseState>();
    const now = this.#now();
    names.forEach((name, i) => {
      const entry = entries[i];
      const state = entry === null ? null : parse(entry);
      if (state !== null && now < state.expiresAt) held.set(name, state);
    });
    return held;
  }

  /**
   * The bucket's keys, released ones included. Read from the stream's
   * subjects in one request (a timeout like any other): nats.js's `keys()`
   * creates a consumer and waits for its last message or a heartbeat, which on
   * a starved gateway node took 5.7 s, and over 6 s in four rebalances in a
   * row (a listing of a bucket deleted meanwhile never ended).
   */
  async #names(): Promise<string[]> {
    const kv = this.#kv;
    if (kv instanceof Bucket) {
      const info = await kv.jsm.streams.info(kv.stream, { subjects_filter: ">" });
      return Object.keys(info.state.subjects ?? {}).map((subject) =>
        kv.decodeKey(subject.substring(kv.prefixLen))
      );
    }
    const names: string[] = [];
    for await (const name of await kv.keys()) names.push(name);
    return names;
  }

  /** Who holds `name` and until when; null when nobody does (never taken, released or expired). */
  async read(name: string): Promise<LeaseState | null> {
    checkName(name);
    const entry = await this.#kv.get(name);
    const state = entry === null ? null : parse(entry);
    return state !== null && this.#now() < state.expiresAt ? state : null;
  }
}

function checkName(name: string): void {
  if (!KEY.test(name)) throw new RangeError(`lease name ${JSON.stringify(name)} must match ${KEY}`);
}

/** The lease an entry records; null for a deleted entry (released). */
function parse(entry: KvEntry): LeaseState | null {
  if (entry.operation !== "PUT") return null;
  const stored = entry.json<StoredLease>();
  return {
    holder: stored.holder,
    expiresAt: stored.expiresAt,
    token: stored.token ?? entry.revision,
  };
}

/** Runs a compare-and-set write; null when the revision check failed (someone else wrote). */
export async function casOrNull(write: () => Promise<number>): Promise<number | null> {
  try {
    return await write();
  } catch (error) {
    if (
      error instanceof JetStreamApiError &&
      (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
        error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
    ) {
      return null;
    }
    throw error;
  }
}
