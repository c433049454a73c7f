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
 * What a `PartitionOwnership` needs of its leases: a `LeaseTable`, renewed
 * over the bus by each `renew()` on this thread, or `KeptLeases`
 * (`lease_keeper.ts`), renewed by a worker of their own whatever this thread
 * is doing, whose `renew()` reports what the worker last confirmed.
 */
export type OwnedLeases = Pick<
  LeaseTable,
  "holder" | "ttlMs" | "skewMs" | "acquire" | "renew" | "release" | "list"
>;

/** A node's leases as its ownership and its fences use them (`isValid`: may it act now). */
export type FencedLeases = OwnedLeases & Pick<LeaseTable, "isValid">;

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

/**
 * What the owner of partitions is told. Hooks of one partition run one after
 * another, never side by side; no hook holds up the renewal of any lease.
 */
export interface PartitionHooks {
  /** This node now owns `partition` (start consuming it, fenced by `lease.token`). */
  gained(partition: number, lease: Lease): Promise<void> | void;
  /** About to give `partition` up: stop taking its events and finish the ones in flight. */
  draining(partition: number): Promise<void> | void;
  /** The lease was lost (taken by another node, or released): stop at once, ack nothing more. */
  lost(partition: number): Promise<void> | void;
  /**
   * The lease was renewed only after it had stopped being valid (`LeaseTable.isValid`: a
   * starved event loop or a slow bus), and no other node took it meanwhile: the tenure and
   * its token go on, but whatever the fence refused while it was closed (events left
   * unacked, dispatches held) is the owner's to take up again.
   */
  lapsed?(partition: number, lease: Lease): Promise<void> | void;
}

export interface PartitionOwnershipOptions {
  /** Leases of the partitions (`partition.N`). */
  partitions: OwnedLeases;
  /** Leases of the live runtime nodes (`runtime.<holder>`), same holder id. */
  members: OwnedLeases;
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
 * One runtime node's share of the partitions. Call `renew()` every
 * `ttlMs / 6` or so, and `rebalance()` about as often, each on its own timer:
 * `renew` renews what the node holds and reports what it lost; `rebalance`
 * hands back its surplus and takes free partitions up to its fair share.
 * `tick()` does both, once.
 *
 * Renewal never waits for a rebalance or a hook: a rebalance lists the
 * members and partitions (5.7 s in one starved gateway node) and its hooks
 * start and stop consumers or shards (several bus round trips each), and while
 * renewal waited behind them a starved node's leases ran out.
 *
 * @example
 * ```ts
 * const owner = new PartitionOwnership({ partitions, members, hooks });
 * await owner.tick();
 * const renewal = setInterval(() => owner.renew(), 1_000);
 * const rebalance = setInterval(() => owner.rebalance(), 1_000);
 * // on shutdown:
 * clearInterval(rebalance); await owner.leave(); clearInterval(renewal);
 * ```
 */
export class PartitionOwnership {
  readonly count: number;
  readonly #partitions: OwnedLeases;
  readonly #members: OwnedLeases;
  readonly #hooks: PartitionHooks;
  readonly #leaseName: (n: number) => string;
  readonly #memberRole: string;
  readonly #held = new Map<number, Lease>();
  /** Partitions being drained and released: a lapse is not taken up again. */
  readonly #handingBack = new Set<number>();
  /** Partitions being released: no longer renewed (the release compares the revision). */
  readonly #releasing = new Set<number>();
  /** Each partition's hooks, chained so that they never run side by side. */
  readonly #hookChains = new Map<number, Promise<void>>();
  #membership: Lease | null = null;
  /** Each live member's lease expiry at the last rebalance (a departed one's is its last). */
  #memberExpiries = new Map<string, number>();
  /** When a partition this node wants may be taken from a dead holder; null: none waited for. */
  #nextTakeAt: number | null = null;
  #rebalancing: Promise<void> | null = null;
  #renewing: Promise<void> | null = null;

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

  /**
   * The earliest instant (epoch ms) a partition this node wanted at its last
   * rebalance may be taken from a dead holder (its expiry plus `skewMs`), or
   * null when it waits for none. A rebalance then, instead of on the next
   * tick, moves a dead node's partitions up to a tick sooner.
   */
  nextTakeAt(): number | null {
    return this.#nextTakeAt;
  }

  /** One renewal, then one rebalance. */
  async tick(): Promise<void> {
    await this.renew();
    await this.rebalance();
  }

  /**
   * Renews the membership and every lease held, side by side; reports the
   * leases lost (`lost`) and those renewed after they had lapsed (`lapsed`)
   * without waiting for those hooks. Rounds never overlap: a call during one
   * joins it. Rejects when the bus could not be reached for some lease (kept:
   * its fence closes by the clock, and a later round may still renew it).
   */
  renew(): Promise<void> {
    this.#renewing ??= this.#renew().finally(() => (this.#renewing = null));
    return this.#renewing;
  }

  async #renew(): Promise<void> {
    const rounds: Promise<void>[] = [];
    const membership = this.#membership;
    if (membership) {
      rounds.push(
        this.#members.renew(membership).then((renewed) => {
          if (this.#membership === membership) this.#membership = renewed;
        }),
      );
    }
    for (const [partition, lease] of this.#held) {
      if (this.#releasing.has(partition)) continue;
      rounds.push(
        this.#partitions.renew(lease).then((renewed) => {
          if (this.#held.get(partition) !== lease) return;
          if (renewed === null) {
            this.#held.delete(partition);
            // The owner reports its hooks' failures itself.
            this.#chain(partition, () => this.#hooks.lost(partition)).catch(() => {});
            return;
          }
          const lapsed = (renewed.lapses ?? 0) > (lease.lapses ?? 0);
          this.#held.set(partition, renewed); // also while handed back: its release compares it
          if (lapsed && this.#hooks.lapsed && !this.#handingBack.has(partition)) {
            this.#chain(partition, () => this.#hooks.lapsed!(partition, renewed)).catch(() => {});
          }
        }),
      );
    }
    const failed = (await Promise.allSettled(rounds)).find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /**
   * Runs `hook` after the partition's earlier hooks; resolves when it ended,
   * rejects with its error (the chain itself goes on).
   */
  #chain(partition: number, hook: () => Promise<void> | void): Promise<void> {
    const run = (this.#hookChains.get(partition) ?? Promise.resolve()).then(hook);
    const next = run.catch(() => {});
    this.#hookChains.set(partition, next);
    next.then(() => this.#hookChains.get(partition) === next && this.#hookChains.delete(partition));
    return run;
  }

  /**
   * Hands back this node's surplus over `ceil(count / live nodes)` (drained
   * first) and takes free partitions up to that share. Rounds never overlap:
   * a call during one joins it.
   */
  rebalance(): Promise<void> {
    this.#rebalancing ??= this.#rebalance().finally(() => (this.#rebalancing = null));
    return this.#rebalancing;
  }

  async #rebalance(): Promise<void> {
    const holder = this.#partitions.holder;
    this.#membership ??= await this.#members.acquire(`${this.#memberRole}.${holder}`);
    // A partition lost (or lapsed) is stopped before it may be taken again.
    await Promise.all([...this.#hookChains.values()]);

    const listed = await this.#members.list();
    const members = [...listed.keys()].filter((n) => n.startsWith(`${this.#memberRole}.`));
    // A member gone since the last rebalance expired with its last renewal, and its partitions
    // with it (renewed in the same round): they may be taken `skewMs` later.
    const departed = [...this.#memberExpiries].filter(([name]) => !listed.has(name));
    this.#memberExpiries = new Map(members.map((name) => [name, listed.get(name)!.expiresAt]));
    this.#nextTakeAt = null;
    const nodes = Math.max(1, members.length + (this.#membership ? 0 : 1));
    const target = Math.ceil(this.count / nodes);

    // Surplus goes back highest first, drained before its lease is released.
    const surplus = [...this.#held.keys()].sort((a, b) => b - a)
      .slice(0, Math.max(0, this.#held.size - target));
    await this.#handBack(surplus);

    if (this.#held.size >= target) return;
    const taken = await this.#partitions.list();
    const live = new Set(members.map((name) => name.slice(this.#memberRole.length + 1)));
    const skew = this.#partitions.skewMs;
    let wake = Infinity;
    const free: number[] = [];
    // Start at a node-specific offset so joining nodes do not all race for partition 0.
    const offset = partitionOf(holder, this.count);
    for (let i = 0; i < this.count; i++) {
      const partition = (offset + i) % this.count;
      if (this.#held.has(partition)) continue;
      const state = taken.get(this.#leaseName(partition));
      if (state === undefined) free.push(partition);
      else if (!live.has(state.holder)) wake = Math.min(wake, state.expiresAt + skew);
    }
    // Taken side by side, as many at a time as this node lacks: one after another, each take's
    // round trips and consumer start held up the next (0.1 s each on a quiet machine).
    let refused = false;
    const gains: Promise<void>[] = [];
    while (free.length > 0 && this.#held.size < target) {
      const batch = free.splice(0, target - this.#held.size);
      const leases = await Promise.all(
        batch.map((partition) => this.#partitions.acquire(this.#leaseName(partition))),
      );
      batch.forEach((partition, i) => {
        const lease = leases[i];
        if (lease === null) return void (refused = true);
        this.#held.set(partition, lease);
        gains.push(this.#chain(partition, () => this.#hooks.gained(partition, lease)));
      });
    }
    if (this.#held.size < target) {
      // Refused while free: expired within the last `skewMs`, most likely a departed member's.
      if (refused) {
        for (const [, expiresAt] of departed) wake = Math.min(wake, expiresAt + skew);
      }
      if (wake < Infinity) this.#nextTakeAt = wake;
    }
    const failed = (await Promise.allSettled(gains)).find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /**
   * Drains these partitions side by side, then releases their leases. A
   * drain can take seconds (events finishing): meanwhile every lease this
   * node holds is renewed (as the owner's renewal timer would; none runs
   * while leaving), so no lease runs out and the drains' acks stay fenced in.
   */
  async #handBack(partitions: number[]): Promise<void> {
    if (partitions.length === 0) return;
    const timer = setInterval(() => {
      this.renew().catch(() => {}); // what fails is left to the fence, and reported as lost
    }, this.#partitions.ttlMs / 3);
    try {
      await Promise.all(partitions.map(async (partition) => {
        this.#handingBack.add(partition);
        try {
          // A drain that fails still hands the partition over (its unacked events go to the
          // next owner): kept, it would be renewed forever with nobody consuming it.
          await this.#chain(partition, () => this.#hooks.draining(partition)).catch(() => {});
          this.#releasing.add(partition);
          await this.#renewing; // one in flight would move the revision the release compares
          const lease = this.#held.get(partition);
          this.#held.delete(partition);
          if (lease) await this.#partitions.release(lease);
        } finally {
          this.#handingBack.delete(partition);
          this.#releasing.delete(partition);
        }
      }));
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Leaves the cluster cleanly: drains every partition (side by side, with
   * the leases renewed meanwhile) and releases it, then the membership.
   */
  async leave(): Promise<void> {
    await this.#rebalancing;
    await this.#handBack([...this.#held.keys()]);
    if (this.#membership) await this.#members.release(this.#membership);
    this.#membership = null;
  }
}

/**
 * Runs `rebalance` at `ownership.nextTakeAt()`, when a dead holder's item may
 * be taken, rather than on the owner's next tick (up to a tick sooner). Call
 * `update()` after every rebalance, `stop()` at shutdown.
 */
export class TakeTimer {
  readonly #ownership: PartitionOwnership;
  readonly #rebalance: () => unknown;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(ownership: PartitionOwnership, rebalance: () => unknown) {
    this.#ownership = ownership;
    this.#rebalance = rebalance;
  }

  /** Sets the timer for the ownership's `nextTakeAt()` (none: cleared). */
  update(): void {
    clearTimeout(this.#timer);
    const at = this.#ownership.nextTakeAt();
    if (at === null || this.#stopped) return;
    this.#timer = setTimeout(this.#rebalance, Math.max(0, at - Date.now()));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
