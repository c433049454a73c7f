/**
 * Event partitions: a guild's events all go to one partition (a stable hash
 * of its id over a fixed count), and each partition is owned by one runtime
 * node at a time through a lease. Nodes share partitions evenly: each aims
 * for `ceil(count / live runtime nodes)`, taking free ones and giving up its
 * surplus (after draining it) when a node joins.
 *
 * @module
 */

import type { Lease, LeaseTable } from "./leases.ts";

/**
 * Default number of partitions. Fixed for the life of a cluster (changing it
 * moves guilds between partitions); enough to spread over dozens of nodes.
 */
export const DEFAULT_PARTITION_COUNT = 64;

/**
 * The partition of a guild: FNV-1a (32-bit) of its id's UTF-8 bytes, modulo
 * `count`. Stable across processes, versions and languages.
 *
 * @example
 * ```ts
 * partitionOf("81384788765712384", 64); // always the same partition
 * ```
 */
export function partitionOf(guildId: string, count: number = DEFAULT_PARTITION_COUNT): number {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`partition count must be a positive integer (got ${count})`);
  }
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(guildId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/** Lease name of a partition (`partition.7`). */
export const partitionLease = (partition: number): string => `partition.${partition}`;

/** What the owner of partitions is told; every hook is awaited. */
export interface PartitionHooks {
  /** This node now owns `partition` (start consuming it, fenced by `lease.token`). */
  gained(partition: number, lease: Lease): Promise<void> | void;
  /** About to give `partition` up: stop taking its events and finish the ones in flight. */
  draining(partition: number): Promise<void> | void;
  /** The lease was lost (expired and taken, or not renewable): stop at once, ack nothing more. */
  lost(partition: number): Promise<void> | void;
}

export interface PartitionOwnershipOptions {
  /** Leases of the partitions (`partition.N`). */
  partitions: LeaseTable;
  /** Leases of the live runtime nodes (`runtime.<holder>`), same holder id. */
  members: LeaseTable;
  hooks: PartitionHooks;
  /** @default DEFAULT_PARTITION_COUNT */
  count?: number;
  /**
   * Lease name of item `n` (gateway nodes share shards the same way: `shard.N`).
   * @default partitionLease
   */
  leaseName?: (n: number) => string;
  /**
   * The role whose live nodes share the items: membership leases are `<role>.<holder>`.
   * @default "runtime"
   */
  memberRole?: string;
}

/**
 * One runtime node's share of the partitions. Call `tick()` every
 * `ttlMs / 3` or so: it renews what the node holds, reports what it lost,
 * hands back its surplus and takes free partitions up to its fair share.
 *
 * @example
 * ```ts
 * const owner = new PartitionOwnership({ partitions, members, hooks });
 * const timer = setInterval(() => owner.tick(), 2_000);
 * // on shutdown:
 * clearInterval(timer); await owner.leave();
 * ```
 */
export class PartitionOwnership {
  readonly count: number;
  readonly #partitions: LeaseTable;
  readonly #members: LeaseTable;
  readonly #hooks: PartitionHooks;
  readonly #leaseName: (n: number) => string;
  readonly #memberRole: string;
  readonly #held = new Map<number, Lease>();
  #membership: Lease | null = null;
  #ticking: Promise<void> | null = null;

  constructor(options: PartitionOwnershipOptions) {
    const count = options.count ?? DEFAULT_PARTITION_COUNT;
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`partition count must be a positive integer (got ${count})`);
    }
    if (options.partitions.holder !== options.members.holder) {
      throw new RangeError("partition and member leases must have the same holder");
    }
    this.count = count;
    this.#partitions = options.partitions;
    this.#members = options.members;
    this.#hooks = options.hooks;
    this.#leaseName = options.leaseName ?? partitionLease;
    this.#memberRole = options.memberRole ?? "runtime";
  }

  /** Partitions this node holds now, with their leases (fencing tokens). */
  owned(): ReadonlyMap<number, Lease> {
    return this.#held;
  }

  /** One round of renew, rebalance and take; rounds never overlap. */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => (this.#ticking = null));
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const holder = this.#partitions.holder;
    this.#membership = (this.#membership && await this.#members.renew(this.#membership)) ??
      await this.#members.acquire(`${this.#memberRole}.${holder}`);

    for (const [partition, lease] of [...this.#held]) {
      const renewed = await this.#partitions.renew(lease);
      if (renewed) {
        this.#held.set(partition, renewed);
      } else {
        this.#held.delete(partition);
        await this.#hooks.lost(partition);
      }
    }

    const members = [...(await this.#members.list()).keys()].filter((n) =>
      n.startsWith(`${this.#memberRole}.`)
    );
    const nodes = Math.max(1, members.length + (this.#membership ? 0 : 1));
    const target = Math.ceil(this.count / nodes);

    // Surplus goes back highest first, drained before its lease is released.
    const surplus = [...this.#held.keys()].sort((a, b) => b - a)
      .slice(0, Math.max(0, this.#held.size - target));
    await this.#handBack(surplus);

    if (this.#held.size >= target) return;
    const taken = await this.#partitions.list();
    // Start at a node-specific offset so joining nodes do not all race for partition 0.
    const offset = partitionOf(holder, this.count);
    for (let i = 0; i < this.count && this.#held.size < target; i++) {
      const partition = (offset + i) % this.count;
      if (this.#held.has(partition) || taken.has(this.#leaseName(partition))) continue;
      const lease = await this.#partitions.acquire(this.#leaseName(partition));
      if (lease === null) continue;
      this.#held.set(partition, lease);
      await this.#hooks.gained(partition, lease);
    }
  }

  /**
   * Drains these partitions side by side, then releases their leases. A
   * drain can take seconds (events finishing): meanwhile every lease this
   * node holds is renewed, as ticks would (the tick waits for this; none run
   * while leaving), so no lease runs out and the drains' acks stay fenced in.
   */
  async #handBack(partitions: number[]): Promise<void> {
    if (partitions.length === 0) return;
    const releasing = new Set<number>();
    let renewing = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(() => this.#renewAll(releasing));
    }, this.#partitions.ttlMs / 3);
    try {
      await Promise.all(partitions.map(async (partition) => {
        // A drain that fails still hands the partition over (its unacked events go to the next
        // owner): kept, it would be renewed forever with nobody consuming it.
        await Promise.resolve().then(() => this.#hooks.draining(partition)).catch(() => {});
        releasing.add(partition);
        await renewing; // a renewal in flight would move the revision the release compares
        const lease = this.#held.get(partition);
        this.#held.delete(partition);
        if (lease) await this.#partitions.release(lease);
      }));
    } finally {
      clearInterval(timer);
      await renewing;
    }
  }

  /** Renews the membership and every lease held but `skip`; what fails is left to the fence. */
  async #renewAll(skip: ReadonlySet<number>): Promise<void> {
    try {
      if (this.#membership) this.#membership = await this.#members.renew(this.#membership);
      for (const [partition, lease] of [...this.#held]) {
        if (skip.has(partition)) continue;
        const renewed = await this.#partitions.renew(lease);
        // Not renewable: it runs out, its fence closes, and the next tick reports it lost.
        if (renewed && this.#held.get(partition) === lease) this.#held.set(partition, renewed);
      }
    } catch {
      // The bus is unreachable: the leases run out as they would without this renewal.
    }
  }

  /**
   * Leaves the cluster cleanly: drains every partition (side by side, with
   * the leases renewed meanwhile) and releases it, then the membership.
   */
  async leave(): Promise<void> {
    await this.#ticking;
    await this.#handBack([...this.#held.keys()]);
    if (this.#membership) await this.#members.release(this.#membership);
    this.#membership = null;
  }
}
