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

import type { WorkerKey } from "../sandbox/protocol/mod.ts";
import type { GuildWorker } from "./guild_worker.ts";

/** What moving a worker needs from the manager. */
export interface MoveActions {
  /** The live worker with this key, if any. */
  worker(key: WorkerKey): GuildWorker | undefined;
  /** Stops the worker (its guild's queue stays) and starts what the guild has waiting. */
  move(worker: GuildWorker): void;
  /** A key the pool still lists but no live worker has: lets the pool forget it. */
  forget(key: WorkerKey): void;
}

/**
 * The workers to move, and when they can go: serving with nothing in flight.
 * A loading worker or a deploy's candidate waits until it serves; a retiring
 * one stops on its own.
 *
 * @example
 * ```ts
 * const moves = new WorkerMoves({ worker: lookup, move: stopAndPump, forget: terminate });
 * moves.request([key]);  // its worker is moved now if idle
 * moves.settle(worker);  // after its batch is done: moved
 * ```
 */
export class WorkerMoves {
  /** Weak: a worker stopped meanwhile (evicted, replaced) is simply forgotten. */
  readonly #pending = new WeakSet<GuildWorker>();

  constructor(readonly actions: MoveActions) {}

  /** The workers to move, by key (again: repeated requests are harmless); each idle one goes now. */
  request(keys: Iterable<WorkerKey>): void {
    for (const key of keys) {
      const worker = this.actions.worker(key);
      if (!worker) {
        this.actions.forget(key);
        continue;
      }
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
