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
import type { SandboxProcess } from "./process_slot.ts";
import type { SandboxChild } from "./sandbox_child.ts";

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

/**
 * Decides, each round, which slots to recycle, asks for their old workers to
 * move, and gives up on stragglers.
 *
 * @example
 * ```ts
 * const recycling = new ProcessRecycling({ ceilingMb: 1536 }, listener);
 * setInterval(() => recycling.check(slots), 1_000);
 * ```
 */
export class ProcessRecycling {
  /** When each child was first seen serving a slot (its age counts from there, not its start). */
  readonly #servingSince = new WeakMap<SandboxChild, number>();
  readonly #minAgeMs: number;
  readonly #drainMs: number;

  constructor(readonly options: RecyclingOptions, readonly listener: PoolListener) {
    const { ceilingMb, minAgeMs = DEFAULT_RECYCLE_MIN_AGE_MS, drainMs = DEFAULT_RECYCLE_DRAIN_MS } =
      options;
    if (!(ceilingMb >= 0)) throw new RangeError(`ceilingMb must be 0 or more, got ${ceilingMb}`);
    if (!(minAgeMs >= 0)) throw new RangeError(`minAgeMs must be 0 or more, got ${minAgeMs}`);
    if (!(drainMs > 0)) throw new RangeError(`drainMs must be positive, got ${drainMs}`);
    this.#minAgeMs = minAgeMs;
    this.#drainMs = drainMs;
  }

  /** One round over the slots: recycle those over the ceiling, move or give up on old workers. */
  check(slots: readonly SandboxProcess[], now = performance.now()): void {
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

  #checkCeiling(slot: SandboxProcess, now: number): void {
    const child = slot.current;
    if (!child?.isReady) return;
    const since = this.#servingSince.get(child);
    if (since === undefined) {
      this.#servingSince.set(child, now);
      return;
    }
    const rss = child.memory?.rss;
    if (rss === undefined || rss <= this.options.ceilingMb * MiB || now - since < this.#minAgeMs) {
      return;
    }
    const retiring = slot.recycle();
    if (!retiring) return;
    console.error(
      `flora: ${slot.name} (pid ${child.pid}) reached ${Math.round(rss / MiB)} MiB of RSS ` +
        `(ceiling ${this.options.ceilingMb} MiB, FLORA_SANDBOX_RSS_CEILING_MB); recycling it: ` +
        `its ${retiring.workers.size} workers move to pid ${slot.pid} between events`,
    );
    this.listener.processRecycled?.(slot.index, rss);
    if (retiring.workers.size > 0) this.listener.moveWorkers?.([...retiring.workers.values()]);
  }
}
