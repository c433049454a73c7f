/**
 * A node's leases, renewed off its main event loop: a worker of its own
 * (`lease_keeper_worker.ts`) with its own NATS connection renews every kept
 * lease on its own timer, and writes each renewal the bucket confirmed to
 * shared memory (`lease_slots.ts`), which the main thread's fences read
 * synchronously.
 *
 * Why: renewals on the main thread waited for its event loop, which under
 * load stood still for 3–5.9 s at a time on a gateway node (a 200 ms probe
 * fired that late; load 15–35 on 2 cores): past `ttlMs - safetyMs - renewMs`
 * (4 s) the lease lapsed, the shard held its dispatches (up to 64 MiB), and a
 * longer stall would have lost it. The worker's thread does not wait for the
 * main one, and the main thread, once it runs again, finds its leases renewed.
 *
 * Fencing holds as before: a slot's expiry is one the bucket stored (never
 * later: a renewal whose answer was lost leaves the slot with the earlier
 * one), read against this process's clock, the same the worker computed it
 * with; a lease the worker lost or released, or all of them when the worker
 * died, is ended in its slot at once.
 *
 * @module
 */

import { within } from "../../shared/within.ts";
import type { Lease, LeaseState } from "./leases.ts";
import { LeaseSlots } from "./lease_slots.ts";
import type {
  KeeperMessage,
  KeeperRequest,
  KeeperResults,
  KeptTableOptions,
} from "./lease_keeper_protocol.ts";
import type { OwnedLeases } from "./partitions.ts";

/** Longest wait for the worker to close its connection at shutdown before it is stopped, ms. */
const CLOSE_WAIT_MS = 5_000;

type Notice = (level: "info" | "warn" | "error", message: string) => void;

/** Requests as posted: without their id, which the keeper assigns. */
type Request = KeeperRequest extends infer R ? R extends KeeperRequest ? Omit<R, "id"> : never
  : never;

export interface LeaseKeeperOptions {
  /** The NATS servers (`NATS_URL`). */
  servers: string | string[];
  /** The worker's connection name (e.g. `<node id>-leases`). */
  name: string;
  /**
   * How often the worker renews every kept lease, ms.
   * @default 1_000
   */
  renewMs?: number;
  /** Renewal failures (one line per round) and the worker's death. */
  onNotice?: Notice;
  /**
   * The worker's module (tests pass one that fails).
   * @default lease_keeper_worker.ts
   */
  workerUrl?: URL;
}

interface OpenTable {
  bucket: string;
  options: KeptTableOptions;
  slots: LeaseSlots;
}

/**
 * The worker renewing a node's leases, and the tables it keeps.
 *
 * @example
 * ```ts
 * const keeper = await LeaseKeeper.start({ servers: ["nats://127.0.0.1:4222"], name: "gw-1-leases" });
 * const shards = await keeper.table("flora_shards", { holder: "gw-1", ttlMs: 6_000, skewMs: 1_000, safetyMs: 1_000, capacity: 4 });
 * const lease = await shards.acquire("shard.0"); // renewed from now on, whatever this thread does
 * shards.isValid(lease!); // read from shared memory
 * await shards.release(lease!);
 * await keeper.close();
 * ```
 */
export class LeaseKeeper {
  readonly #options: LeaseKeeperOptions;
  readonly #notice: Notice;
  readonly #tables: OpenTable[] = [];
  readonly #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  #worker: Worker;
  /** The current worker's start (connect) request. */
  #started: Promise<unknown> = Promise.resolve();
  #nextId = 0;
  #closed = false;

  private constructor(options: LeaseKeeperOptions) {
    this.#options = options;
    this.#notice = options.onNotice ?? (() => {});
    this.#worker = this.#spawn(false);
  }

  /** Starts the worker and connects it; rejects (the worker stopped) when it cannot connect. */
  static async start(options: LeaseKeeperOptions): Promise<LeaseKeeper> {
    const keeper = new LeaseKeeper(options);
    try {
      await keeper.#started;
    } catch (error) {
      keeper.#closed = true;
      keeper.#worker.terminate();
      throw error;
    }
    return keeper;
  }

  /**
   * Opens the lease bucket `bucket` (created if missing) for leases of up to
   * `capacity` different names (partitions, shards; 1 for a membership).
   */
  async table(
    bucket: string,
    options: KeptTableOptions & { capacity: number },
  ): Promise<KeptLeases> {
    const { capacity, ...timing } = options;
    const slots = new LeaseSlots(capacity);
    const open: OpenTable = { bucket, options: timing, slots };
    const table = this.#tables.push(open) - 1;
    await this.request<"open">({ op: "open", table, bucket, options: timing, slots: slots.buffer });
    return new KeptLeases(this, table, slots, timing);
  }

  /** Sends one request to the worker; resolves to its answer. */
  request<K extends keyof KeeperResults>(request: Request & { op: K }): Promise<KeeperResults[K]> {
    if (this.#closed) return Promise.reject(new Error("the lease keeper is closed"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ ...request, id } as KeeperRequest);
    });
  }

  /**
   * Stops renewing and closes the worker's connection (after `leave()` has
   * released what the node held: whatever is still kept lapses by its expiry,
   * its slots ended now), then the worker.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const closing = this.request<"close">({ op: "close" });
    this.#closed = true;
    for (const { slots } of this.#tables) endAll(slots);
    await within(closing, CLOSE_WAIT_MS);
    this.#worker.terminate();
    this.#rejectPending("the lease keeper is closed");
  }

  /**
   * A worker, started and given the tables opened so far (a replacement after a death:
   * `retry`, connecting for as long as NATS does not answer).
   */
  #spawn(retry: boolean): Worker {
    const url = this.#options.workerUrl ?? new URL("./lease_keeper_worker.ts", import.meta.url);
    const worker = new Worker(url, {
      type: "module",
      name: "lease keeper",
    });
    worker.onmessage = (event: MessageEvent<KeeperMessage>) => {
      const message = event.data;
      if ("notice" in message) return this.#notice(message.notice.level, message.notice.message);
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(new Error(message.error));
    };
    worker.onerror = (event) => {
      event.preventDefault(); // the node goes on: its leases are given up, a new worker starts
      this.#died(worker, event.message);
    };
    this.#worker = worker;
    const { servers, name, renewMs = 1_000 } = this.#options;
    // The first worker fails the node's start when NATS is unreachable; a replacement waits
    // for it (the tables' requests queue behind its connection).
    this.#started = this.request<"start">({ op: "start", servers, name, renewMs, retry });
    // Posted after the start, so the worker opens them once connected.
    this.#tables.forEach(({ bucket, options, slots }, table) => {
      this.request<"open">({ op: "open", table, bucket, options, slots: slots.buffer })
        .catch((error) => this.#notice("error", `lease keeper: reopening ${bucket}: ${error}`));
    });
    this.#started.catch((error) => this.#notice("error", `lease keeper: ${error}`));
    return worker;
  }

  /**
   * The worker died (an uncaught error): nothing renews its leases any more,
   * so every one is ended now (the owner is told it lost them at its next
   * look and takes them again), and a new worker takes over.
   */
  #died(worker: Worker, reason: string): void {
    if (worker !== this.#worker) return;
    worker.terminate();
    for (const { slots } of this.#tables) endAll(slots);
    this.#rejectPending(`the lease keeper's worker died: ${reason}`);
    if (this.#closed) return;
    this.#notice("error", `lease keeper: its worker died (${reason}); its leases are given up`);
    this.#spawn(true);
  }

  #rejectPending(reason: string): void {
    for (const { reject } of this.#pending.values()) reject(new Error(reason));
    this.#pending.clear();
  }
}

function endAll(slots: LeaseSlots): void {
  for (let slot = 0; slot < slots.capacity; slot++) slots.end(slot);
}

/**
 * One lease bucket's leases, kept by a `LeaseKeeper`'s worker: taken and
 * released through it, renewed by it on its own timer, and read here from
 * shared memory. What a `PartitionOwnership` and the fences need of a
 * `LeaseTable`, with `renew` reporting the worker's last renewal.
 */
export class KeptLeases implements OwnedLeases {
  readonly holder: string;
  readonly ttlMs: number;
  readonly skewMs: number;
  readonly safetyMs: number;
  readonly #keeper: LeaseKeeper;
  readonly #table: number;
  readonly #slots: LeaseSlots;
  /** Each name's slot, for the keeper's life (a name keeps its slot across tenures). */
  readonly #slotOf = new Map<string, number>();

  constructor(keeper: LeaseKeeper, table: number, slots: LeaseSlots, options: KeptTableOptions) {
    this.#keeper = keeper;
    this.#table = table;
    this.#slots = slots;
    this.holder = options.holder;
    this.ttlMs = options.ttlMs;
    this.skewMs = options.skewMs;
    this.safetyMs = options.safetyMs;
  }

  /** Takes `name` (as `LeaseTable.acquire`); the worker renews it from then on. */
  acquire(name: string): Promise<Lease | null> {
    let slot = this.#slotOf.get(name);
    if (slot === undefined) {
      slot = this.#slotOf.size;
      if (slot >= this.#slots.capacity) {
        return Promise.reject(
          new RangeError(
            `lease ${name}: this table keeps at most ${this.#slots.capacity} names`,
          ),
        );
      }
      this.#slotOf.set(name, slot);
    }
    return this.#keeper.request<"acquire">({ op: "acquire", table: this.#table, name, slot });
  }

  /**
   * The tenure as the worker last renewed it (no bus round trip here: the
   * worker renews on its own timer); null once it ended (lost to another
   * node, released, or its worker died).
   */
  renew(lease: Lease): Promise<Lease | null> {
    return Promise.resolve(this.current(lease));
  }

  /** What `renew` resolves to, synchronously. */
  current(lease: Lease): Lease | null {
    const slot = this.#slotOf.get(lease.name);
    const state = slot === undefined ? null : this.#slots.read(slot, lease.token);
    return state && { ...lease, ...state };
  }

  /** Stops renewing the tenure and gives it up; false when it was no longer ours. */
  release(lease: Lease): Promise<boolean> {
    const slot = this.#slotOf.get(lease.name);
    // Its holder stops acting before the lease is given up.
    if (slot !== undefined && this.#slots.read(slot, lease.token)) this.#slots.end(slot);
    return this.#keeper.request<"release">({
      op: "release",
      table: this.#table,
      name: lease.name,
      token: lease.token,
    });
  }

  /** The last instant the holder of `lease` may act: its last confirmed expiry less `safetyMs`. */
  validUntil(lease: Lease): number {
    const current = this.current(lease);
    return current ? current.expiresAt - this.safetyMs : -Infinity;
  }

  /** Whether the holder of `lease` may still act now (read from shared memory, never waits). */
  isValid(lease: Lease): boolean {
    return Date.now() < this.validUntil(lease);
  }

  /** Every lease held now (not released, not expired), by name. */
  list(): Promise<Map<string, LeaseState>> {
    return this.#keeper.request<"list">({ op: "list", table: this.#table });
  }
}
