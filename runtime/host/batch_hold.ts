/**
 * Holding a guild's chat events under load so that one wake-up of its
 * worker runs more of them (`FLORA_BATCH_HOLD_MS`, off by default). At
 * 1,000 guilds on two cores a wake-up costs a worker's thread far more than
 * an event (≈ 50–70 µs bare, several hundred with flora's runtime under
 * load) and each guild's events come one or two at a time, so events per
 * wake-up are set by how long they wait, not by pipelining (docs/operations.md,
 * "Pipelining, niceness and batch size"). The price is latency: up to the
 * hold for chat events, and only while the process is loaded.
 *
 * @module
 */

import { isDroppable } from "../sandbox/protocol/mod.ts";
import type { QueuedEvent } from "./guild_queue.ts";

/** How often held guilds are looked at again, ms (the most a hold overruns). */
export const HOLD_SWEEP_MS = 20;

/** What decides a hold: the guild's queue, its process's load, the batch sizes. */
export interface HoldCase {
  /** The guild's waiting events. */
  queue: { readonly length: number; readonly head: QueuedEvent | undefined };
  /** Events its sandbox process has in flight. */
  processInflight: number;
  /** A full batch ({@linkcode fullBatch}): the process counts as loaded past it. */
  fullBatch: number;
  /** `performance.now()`. */
  now: number;
}

/**
 * Whether an idle worker's waiting events should wait for more: the hold is
 * on, its process has more than a full batch in flight (loaded), fewer than
 * half a batch wait, the oldest is a droppable event (anything owed an answer
 * goes at once) the host received less than `holdMs` ago.
 *
 * @example
 * ```ts
 * const head = { name: "messageCreate", payload: {}, receivedAt: 1_000 } as const;
 * holdsBatch(2_000, { queue: { length: 1, head }, processInflight: 500, fullBatch: 64, now: 1_500 }); // true
 * holdsBatch(2_000, { queue: { length: 1, head }, processInflight: 10, fullBatch: 64, now: 1_500 }); // false
 * ```
 */
export function holdsBatch(holdMs: number, c: HoldCase): boolean {
  const head = c.queue.head;
  return holdMs > 0 && head !== undefined && c.processInflight >= c.fullBatch &&
    c.queue.length < Math.ceil(c.fullBatch / 2) && isDroppable(head.name) && head.receivedAt > 0 &&
    c.now - head.receivedAt < holdMs;
}

/**
 * The guilds held, and the sweep that offers them to `pump` again (which
 * holds them again or sends); the timer runs only while some are held.
 *
 * @example
 * ```ts
 * const held = new HeldGuilds<string>((guild) => pump(guild));
 * held.add("g1"); // pumped again within HOLD_SWEEP_MS
 * held.close();
 * ```
 */
export class HeldGuilds<G> {
  #held = new Set<G>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly pump: (guild: G) => void) {}

  /** Holds `guild` until the next sweep. */
  add(guild: G): void {
    this.#held.add(guild);
    this.#timer ??= setInterval(() => this.#sweep(), HOLD_SWEEP_MS);
  }

  #sweep(): void {
    if (this.#held.size === 0) {
      this.close();
      return;
    }
    const held = [...this.#held];
    this.#held.clear();
    for (const guild of held) this.pump(guild);
  }

  /** Forgets every held guild and stops the sweep. */
  close(): void {
    this.#held.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
