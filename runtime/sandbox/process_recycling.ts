/**
 * Recycling sandbox processes that grew past an RSS ceiling
 * (`FLORA_SANDBOX_RSS_CEILING_MB`). V8 keeps the heap a busy process grew
 * into (the memory reducer is off), and glibc keeps what it allocated for
 * it, so a process's RSS under a long load creeps up and is not given back
 * (`docs/operations.md`, "Sandbox memory under load"). A fresh process
 * starts at the bottom again; moving guilds to it costs each one a cold
 * start (a few ms with warm spare workers).
 *
 * The move never loses or repeats an event: the slot's fresh child (a
 * standby when there is one) serves new workers at once, and the pool asks
 * the workers' owner to stop each old worker once it has nothing in flight
 * ({@linkcode PoolListener.moveWorkers}); the guild's queued and later
 * events then start a worker in the fresh child. The old child exits once
 * its last worker stopped.
 *
 * @module
 */

import type { PoolListener } from "./pool_types.ts";
import type { RetiringChild } from "./retiring_child.ts";
import type { SandboxChild } from "./sandbox_child.ts";

/** What recycling needs of a recycled child. */
type Retiring = Pick<RetiringChild, "since" | "workers">;
/** What recycling needs of a serving child. */
type ServingChild = Pick<SandboxChild, "isReady" | "memory" | "pid">;

/** What recycling needs of a slot: a `SandboxProcess` (a plain object in tests). */
export interface RecyclableSlot {
  readonly index: number;
  readonly name: string;
  readonly pid: number | undefined;
  readonly current: ServingChild | null;
  readonly retiring: Retiring | null;
  recycle(): Retiring | null;
  abandonRetiring(detail: string): void;
}

const MiB = 1024 * 1024;

/** What recycling is configured with. */
export interface RecyclingOptions {
  /** RSS past which a slot's process is recycled, MiB (0: never). */
  ceilingMb: number;
  /**
   * Youngest a process may be recycled, ms: if the guilds' working set alone
   * is over the ceiling, a process is recycled at most this often, not in a
   * loop.
   * @default {30_000}
   */
  minAgeMs?: number;
  /**
   * Longest a slot's processes must serve before a recycle once recycling
   * stopped helping, ms (see {@linkcode ProcessRecycling}).
   * @default {3_600_000}
   */
  maxAgeBackoffMs?: number;
  /**
   * Longest the old process keeps workers that have not finished, ms; then
   * they are reported lost (as after a crash) and it exits.
   * @default {60_000}
   */
  drainMs?: number;
}

/** Default of {@linkcode RecyclingOptions.minAgeMs}. */
export const DEFAULT_RECYCLE_MIN_AGE_MS = 30_000;
/** Default of {@linkcode RecyclingOptions.drainMs}. */
export const DEFAULT_RECYCLE_DRAIN_MS = 60_000;
/** Default of {@linkcode RecyclingOptions.maxAgeBackoffMs}. */
export const DEFAULT_RECYCLE_MAX_BACKOFF_MS = 3_600_000;

/**
 * Decides, each round, which slots to recycle, asks for their old workers to
 * move, and gives up on stragglers.
 *
 * A recycle only helps against creep. When the guilds' working set is itself
 * over the ceiling (too many resident workers for it), every fresh process
 * reaches it again as soon as it may be recycled, and recycling in a loop
 * would cold-start every guild every `minAgeMs`. So a process recycled less
 * than twice its slot's minimum age after it started serving doubles that
 * slot's minimum age (up to `maxAgeBackoffMs`, with a warning naming the
 * setting); one that lasted longer resets it.
 *
 * @example
 * ```ts
 * const recycling = new ProcessRecycling({ ceilingMb: 1536 }, listener);
 * setInterval(() => recycling.check(slots), 1_000);
 * ```
 */
export class ProcessRecycling {
  /** When each child was first seen serving a slot (its age counts from there, not its start). */
  readonly #servingSince = new WeakMap<ServingChild, number>();
  readonly #minAgeMs: number;
  readonly #maxBackoffMs: number;
  readonly #drainMs: number;
  /** Each slot's current minimum age, where recycling backed off from `minAgeMs`. */
  readonly #slotMinAgeMs = new Map<number, number>();

  constructor(
    readonly options: RecyclingOptions,
    readonly listener: Pick<PoolListener, "moveWorkers" | "processRecycled">,
  ) {
    const {
      ceilingMb,
      minAgeMs = DEFAULT_RECYCLE_MIN_AGE_MS,
      maxAgeBackoffMs = DEFAULT_RECYCLE_MAX_BACKOFF_MS,
      drainMs = DEFAULT_RECYCLE_DRAIN_MS,
    } = options;
    if (!(ceilingMb >= 0)) throw new RangeError(`ceilingMb must be 0 or more, got ${ceilingMb}`);
    if (!(minAgeMs >= 0)) throw new RangeError(`minAgeMs must be 0 or more, got ${minAgeMs}`);
    if (!(maxAgeBackoffMs >= minAgeMs)) {
      throw new RangeError(
        `maxAgeBackoffMs must be at least minAgeMs (${minAgeMs}), got ${maxAgeBackoffMs}`,
      );
    }
    if (!(drainMs > 0)) throw new RangeError(`drainMs must be positive, got ${drainMs}`);
    this.#minAgeMs = minAgeMs;
    this.#maxBackoffMs = maxAgeBackoffMs;
    this.#drainMs = drainMs;
  }

  /** One round over the slots: recycle those over the ceiling, move or give up on old workers. */
  check(slots: readonly RecyclableSlot[], now = performance.now()): void {
    for (const slot of slots) {
      const retiring = slot.retiring;
      if (retiring) {
        if (now - retiring.since > this.#drainMs) {
          slot.abandonRetiring(
            `${slot.name} was recycled and this worker did not finish within ` +
              `${this.#drainMs / 1000} s`,
          );
        } else {
          // Asked again each round: a worker that was loading or busy may be movable now.
          this.listener.moveWorkers?.([...retiring.workers.values()]);
        }
        continue;
      }
      if (this.options.ceilingMb > 0) this.#checkCeiling(slot, now);
    }
  }

  /** The slot's current minimum age before a recycle, ms. */
  minAgeOf(slotIndex: number): number {
    return this.#slotMinAgeMs.get(slotIndex) ?? this.#minAgeMs;
  }

  #checkCeiling(slot: RecyclableSlot, now: number): void {
    const child = slot.current;
    if (!child?.isReady) return;
    const since = this.#servingSince.get(child);
    if (since === undefined) {
      this.#servingSince.set(child, now);
      return;
    }
    const rss = child.memory?.rss;
    const age = now - since;
    const minAge = this.minAgeOf(slot.index);
    if (rss === undefined || rss <= this.options.ceilingMb * MiB || age < minAge) return;
    const retiring = slot.recycle();
    if (!retiring) return;
    this.#backOffIfUseless(slot, age, minAge);
    console.error(
      `flora: ${slot.name} (pid ${child.pid}) reached ${Math.round(rss / MiB)} MiB of RSS ` +
        `(ceiling ${this.options.ceilingMb} MiB, FLORA_SANDBOX_RSS_CEILING_MB); recycling it: ` +
        `its ${retiring.workers.size} workers move to pid ${slot.pid} between events`,
    );
    this.listener.processRecycled?.(slot.index, rss);
    if (retiring.workers.size > 0) this.listener.moveWorkers?.([...retiring.workers.values()]);
  }

  #backOffIfUseless(slot: RecyclableSlot, age: number, minAge: number): void {
    if (age >= 2 * minAge) {
      this.#slotMinAgeMs.delete(slot.index);
      return;
    }
    const next = Math.min(2 * minAge, this.#maxBackoffMs);
    if (next === minAge) return;
    this.#slotMinAgeMs.set(slot.index, next);
    console.error(
      `flora: ${slot.name} reached its RSS ceiling ${Math.round(age / 1000)} s after it started ` +
        `serving: its guilds' working set is over FLORA_SANDBOX_RSS_CEILING_MB ` +
        `(${this.options.ceilingMb} MiB), so recycling does not help; its next recycle waits ` +
        `${Math.round(next / 1000)} s. Raise the ceiling or lower FLORA_MAX_RESIDENT_WORKERS.`,
    );
  }
}
