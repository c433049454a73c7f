/**
 * Leases' confirmed expiries in shared memory: the lease keeper's worker
 * (`lease_keeper_worker.ts`) writes each renewal the bucket confirmed, and the
 * node's main thread reads them synchronously when it must know whether it may
 * still act (a fence), even while its own event loop was too busy to renew.
 *
 * One slot per lease name, five 64-bit cells: the tenure's fencing token, its
 * state (kept, or ended), and the expiry, revision and lapse count of its last
 * confirmed write. A slot's expiry is only ever one the bucket stored, so the
 * reader's view of a lease is never longer than the lease.
 *
 * @module
 */

import type { Lease } from "./leases.ts";

const FIELDS = 5;
const TOKEN = 0;
const STATE = 1;
const LAPSES = 2;
const REVISION = 3;
const EXPIRES = 4;
const ENDED = 0n;
const KEPT = 1n;

/** What a slot says of a kept tenure. */
export interface SlotState {
  expiresAt: number;
  revision: number;
  lapses: number;
}

/**
 * A fixed number of lease slots in one `SharedArrayBuffer`, readable and
 * writable from any thread (every cell through `Atomics`).
 *
 * @example
 * ```ts
 * const slots = new LeaseSlots(64);          // main thread; post slots.buffer to the worker
 * const there = new LeaseSlots(slots.buffer); // worker
 * there.begin(0, lease);
 * slots.read(0, lease.token)?.expiresAt;      // lease.expiresAt
 * ```
 */
export class LeaseSlots {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly #cells: BigInt64Array;

  /** A new buffer of `source` slots, or a view of an existing one. */
  constructor(source: number | SharedArrayBuffer) {
    if (typeof source === "number" && !(Number.isInteger(source) && source > 0)) {
      throw new RangeError(`lease slot capacity must be a positive integer (got ${source})`);
    }
    this.buffer = typeof source === "number"
      ? new SharedArrayBuffer(source * FIELDS * BigInt64Array.BYTES_PER_ELEMENT)
      : source;
    this.#cells = new BigInt64Array(this.buffer);
    this.capacity = this.#cells.length / FIELDS;
  }

  /**
   * A tenure begins in `slot`. Its state is ended while the cells change, and
   * the token is written before the expiry: a reader holding an earlier
   * tenure's token who reads this expiry then reads the new token too.
   */
  begin(slot: number, lease: Lease): void {
    const at = this.#at(slot);
    Atomics.store(this.#cells, at + STATE, ENDED);
    Atomics.store(this.#cells, at + TOKEN, BigInt(lease.token));
    this.renewed(slot, lease);
    Atomics.store(this.#cells, at + STATE, KEPT);
  }

  /** A renewal of the slot's tenure was confirmed (lapse count first: it goes with the expiry). */
  renewed(slot: number, lease: Lease): void {
    const at = this.#at(slot);
    Atomics.store(this.#cells, at + LAPSES, BigInt(lease.lapses ?? 0));
    Atomics.store(this.#cells, at + REVISION, BigInt(lease.revision));
    Atomics.store(this.#cells, at + EXPIRES, BigInt(lease.expiresAt));
  }

  /** The slot's tenure ended (lost, released, its keeper gone): invalid whatever its expiry. */
  end(slot: number): void {
    Atomics.store(this.#cells, this.#at(slot) + STATE, ENDED);
  }

  /** The last confirmed write of tenure `token`; null when it ended or the slot holds another. */
  read(slot: number, token: number): SlotState | null {
    const at = this.#at(slot);
    const before = Atomics.load(this.#cells, at + TOKEN);
    const state = Atomics.load(this.#cells, at + STATE);
    const lapses = Atomics.load(this.#cells, at + LAPSES);
    const revision = Atomics.load(this.#cells, at + REVISION);
    const expiresAt = Atomics.load(this.#cells, at + EXPIRES);
    const after = Atomics.load(this.#cells, at + TOKEN);
    if (before !== BigInt(token) || after !== before || state !== KEPT) return null;
    return { expiresAt: Number(expiresAt), revision: Number(revision), lapses: Number(lapses) };
  }

  #at(slot: number): number {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.capacity)) {
      throw new RangeError(`lease slot ${slot} is outside 0..${this.capacity - 1}`);
    }
    return slot * FIELDS;
  }
}
