/**
 * Per-process load accounting: events each sandbox process has in flight
 * against its cap, the guilds waiting for room there, and its cold starts
 * ({@linkcode StartGate}). One process's workers share its cores, so the cap
 * is per process, not per guild.
 *
 * Pure bookkeeping: the manager decides what to send and whom to wake.
 *
 * @module
 */

import { StartDelay } from "./batch_hold.ts";
import { StartGate } from "./start_gate.ts";

/** In-flight accounting of one sandbox process; `G` identifies a waiting guild. */
export class ProcessLoad<G> {
  /** Events sent to this process's workers and not yet finished. */
  inflight = 0;
  /** Guilds waiting for this process to have room. */
  readonly waiting = new Set<G>();
  /** Cold starts in progress and waiting. */
  readonly starts: StartGate<G>;
  /** How long its batches wait to start: whether it keeps up (`batch_hold.ts`). */
  readonly startDelay = new StartDelay();

  constructor(readonly maxInflight: number, maxConcurrentStarts: number) {
    this.starts = new StartGate(maxConcurrentStarts);
  }

  /** Events the process may still take before its cap. */
  get room(): number {
    return this.maxInflight - this.inflight;
  }

  /**
   * Takes waiting guilds off the list one at a time while the process has
   * room for `batch` events, checking again after each (the caller sends for
   * the guild it gets, which uses room). Nothing when there is no room.
   */
  *wake(batch: number): Generator<G> {
    // Only with room for a whole batch, so a woken guild is never put back mid-iteration.
    if (this.waiting.size === 0 || this.room < batch) return;
    for (const guild of this.waiting) {
      this.waiting.delete(guild);
      yield guild;
      if (this.room < batch) return;
    }
  }
}

/**
 * The {@linkcode ProcessLoad} of every sandbox process, created on first use.
 *
 * @example
 * ```ts
 * const loads = new ProcessLoads<string>({ maxInflight: 128, maxConcurrentStarts: 4 });
 * loads.of(0).inflight += 64;
 * loads.inflight; // 64
 * ```
 */
export class ProcessLoads<G> {
  #byIndex = new Map<number, ProcessLoad<G>>();

  constructor(readonly limits: { maxInflight: number; maxConcurrentStarts: number }) {}

  /** The load of the process at `index`. */
  of(index: number): ProcessLoad<G> {
    let load = this.#byIndex.get(index);
    if (!load) {
      load = new ProcessLoad(this.limits.maxInflight, this.limits.maxConcurrentStarts);
      this.#byIndex.set(index, load);
    }
    return load;
  }

  /** Events in flight across every process. */
  get inflight(): number {
    let n = 0;
    for (const load of this.#byIndex.values()) n += load.inflight;
    return n;
  }

  /** The largest start delay of any process at `now` (`performance.now()`), ms. */
  startDelayMs(now: number): number {
    let ms = 0;
    for (const load of this.#byIndex.values()) ms = Math.max(ms, load.startDelay.at(now));
    return ms;
  }
}
