/**
 * Workers whose sandbox process is being recycled (`process_recycling.ts`):
 * each is stopped at its first moment with nothing in flight, so no event
 * is lost or run twice, and its guild's next event (or the queue it has
 * now) starts a worker in the fresh process, as after an idle eviction.
 *
 * Pure bookkeeping: the manager says when a worker may have become movable
 * and does the stopping and the pumping.
 *
 * @module
 */

import type { GuildWorker } from "./guild_worker.ts";

/** What moving a worker needs from the manager. */
export interface MoveActions {
  /** Stops the worker (its guild's queue stays) and starts what the guild has waiting. */
  move(worker: GuildWorker): void;
}

/**
 * The workers to move, and when they can go: serving with nothing in flight.
 * A loading worker or a deploy's candidate waits until it serves; a retiring
 * one stops on its own.
 *
 * @example
 * ```ts
 * const moves = new WorkerMoves({ move: (w) => stopAndPump(w) });
 * moves.request([worker]); // moved now if idle
 * moves.settle(worker);    // after its batch is done: moved
 * ```
 */
export class WorkerMoves {
  /** Weak: a worker stopped meanwhile (evicted, replaced) is simply forgotten. */
  readonly #pending = new WeakSet<GuildWorker>();

  constructor(readonly actions: MoveActions) {}

  /** Workers to move (again: repeated requests are harmless); each idle one goes now. */
  request(workers: Iterable<GuildWorker>): void {
    for (const worker of workers) {
      this.#pending.add(worker);
      this.settle(worker);
    }
  }

  /** The worker may have become movable (it finished a batch, or started serving). */
  settle(worker: GuildWorker): void {
    if (!this.#pending.has(worker)) return;
    if (worker.state === "stopped" || worker.retiring) {
      this.#pending.delete(worker);
      return;
    }
    if (!worker.serving || worker.inflight.size > 0) return;
    this.#pending.delete(worker);
    this.actions.move(worker);
  }
}
