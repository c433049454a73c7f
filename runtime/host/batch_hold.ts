/**
 * Coalescing a guild's chat events while its sandbox process is backlogged,
 * so that one wake-up of its worker runs more of them (interrupt moderation,
 * or Nagle with a bounded delay). At 1,000 guilds on two cores a wake-up
 * costs a worker's thread far more than an event (≈ 50–70 µs bare, several
 * hundred with flora's runtime under load) and each guild's events come one
 * or two at a time, so events per wake-up are set by how long they wait
 * (docs/operations.md, "Pipelining, niceness and batch size").
 *
 * The hold is derived from what the process is doing: how long its recent
 * batches waited between the host sending them and their first handler
 * starting (the _start delay_: the relay, the worker's wake-up and the run
 * queue of a thousand threads). A batch sent to a process that keeps up starts
 * within a few milliseconds, and nothing is held; under a backlog a chatty
 * guild's events wait a few start delays here ({@linkcode HOLD_FACTOR}),
 * gathering more of them for the same wake-up. `FLORA_BATCH_HOLD_MS` bounds
 * it. At 1,000 guilds on two cores this took the sandboxes from 155 to 120 µs
 * an event (2.5 → 4.1 events a batch, medians of six rounds) at a dispatch p50
 * under overload of 449 against 272 ms, and changed nothing at 2,000 events a
 * second.
 *
 * @module
 */

import type { QueuedEvent } from "./guild_queue.ts";

/** How often held guilds are looked at again, ms (the most a hold overruns). */
export const HOLD_SWEEP_MS = 20;

/**
 * A start delay under this means the process keeps up: nothing is held, ms. A worker's
 * wake-up through the relay takes 0.1–1 ms on this machine unloaded, a few ms at load 20–40.
 */
export const KEEPING_UP_MS = 10;

/**
 * A backlogged process's guilds hold their chat events this many times its start delay. At
 * 1× nothing changed (1,000 guilds, nice 0: 2.2–2.5 events a batch against 2.4–2.7): a
 * guild's batch is in flight about that long already, and the events that gathered meanwhile
 * have waited most of it.
 */
export const HOLD_FACTOR = 4;

/** Weight of a new start delay in the process's running figure (≈ the last 8 batches). */
const START_DELAY_WEIGHT = 1 / 8;

/**
 * The longest gap between a guild's events that counts, ms: a guild quiet for longer is as
 * quiet as one quiet for this long. Its next few events then show whether it is chatty.
 */
export const ARRIVAL_GAP_MAX_MS = 2_000;

/** Weight of a guild's new gap between events in its running figure. */
const GAP_WEIGHT = 1 / 2;

/** A start delay last seen this long ago says nothing of the process now, ms. */
export const START_DELAY_STALE_MS = 1_000;

/**
 * A running mean of a process's start delay (send to first handler start),
 * ms; 0 when no batch has started for {@linkcode START_DELAY_STALE_MS}.
 *
 * @example
 * ```ts
 * const delay = new StartDelay();
 * delay.observe(300, performance.now());
 * delay.at(performance.now()); // 37.5: one backlogged batch moves it an eighth of the way
 * ```
 */
export class StartDelay {
  #ms = 0;
  #seenAt = -Infinity;

  /** Folds in one batch's start delay, ms (a clock skew's negative figure counts as 0). */
  observe(sample: number, now: number): void {
    this.#ms += (Math.max(0, sample) - this.#ms) * START_DELAY_WEIGHT;
    this.#seenAt = now;
  }

  /** The running mean at `now` (`performance.now()`), ms. */
  at(now: number): number {
    return now - this.#seenAt < START_DELAY_STALE_MS ? this.#ms : 0;
  }
}

/**
 * A running mean of the gap between a guild's events (each at most
 * {@linkcode ARRIVAL_GAP_MAX_MS}), ms: whether holding its events for a while
 * can gather more of them.
 *
 * @example
 * ```ts
 * const arrivals = new ArrivalGap();
 * arrivals.observe(60_000);
 * arrivals.observe(60_100);
 * arrivals.ms; // 1_050: half of the longest gap and half of the last one
 * ```
 */
export class ArrivalGap {
  ms = ARRIVAL_GAP_MAX_MS;
  #last = -Infinity;

  /** An event arrived at `now` (`performance.now()`). */
  observe(now: number): void {
    const gap = Math.min(now - this.#last, ARRIVAL_GAP_MAX_MS);
    this.#last = now;
    this.ms += (gap - this.ms) * GAP_WEIGHT;
  }
}

/**
 * How long a backlogged process's guilds hold their chat events, ms: the
 * process's start delay times {@linkcode HOLD_FACTOR}, within `capMs`; 0 while it keeps up.
 *
 * @example
 * ```ts
 * holdMs(1_000, 2); // 0: the process keeps up
 * holdMs(1_000, 200); // 800
 * holdMs(1_000, 5_000); // 1_000
 * ```
 */
export function holdMs(capMs: number, startDelayMs: number): number {
  return startDelayMs < KEEPING_UP_MS ? 0 : Math.min(capMs, startDelayMs * HOLD_FACTOR);
}

/** What decides a hold: the guild's queue and arrivals, its process's load, the batch sizes. */
export interface HoldCase {
  /** The guild's waiting events. */
  queue: {
    readonly length: number;
    readonly head: QueuedEvent | undefined;
    /** A never-dropped event waits among them. */
    readonly owesAnswer: boolean;
  };
  /** The mean gap between the guild's events, ms ({@linkcode ArrivalGap}). */
  arrivalGapMs: number;
  /** Events its sandbox process has in flight. */
  processInflight: number;
  /** The process's start delay, ms ({@linkcode StartDelay}). */
  startDelayMs: number;
  /** A full batch (`fullBatch` in event_batches.ts): the process counts as loaded past it. */
  fullBatch: number;
  /** `performance.now()`. */
  now: number;
}

/**
 * Until when an idle worker's waiting events should wait for more
 * (`performance.now()` ms), or undefined: they go now. They wait while the
 * hold is on (`capMs` > 0), its process is backlogged (a full batch or more in
 * flight, and batches wait {@linkcode KEEPING_UP_MS} or more to start), fewer
 * than half a batch wait, none of them owes an answer (an interaction, a cron
 * run or a lifecycle event makes the guild's waiting events go at once), the
 * guild's next event is due within the hold, and the oldest was received less
 * than the hold ({@linkcode holdMs}) ago.
 *
 * @example
 * ```ts
 * const head = { name: "messageCreate", payload: {}, receivedAt: 1_000 } as const;
 * const queue = { length: 1, head, owesAnswer: false };
 * const loaded = { queue, arrivalGapMs: 100, processInflight: 500, fullBatch: 64, now: 1_050 };
 * heldUntil(1_000, { ...loaded, startDelayMs: 100 }); // 1_400
 * heldUntil(1_000, { ...loaded, startDelayMs: 2 }); // undefined: the process keeps up
 * ```
 */
export function heldUntil(capMs: number, c: HoldCase): number | undefined {
  const head = c.queue.head;
  if (capMs <= 0 || head === undefined || c.processInflight < c.fullBatch) return undefined;
  const hold = holdMs(capMs, c.startDelayMs);
  const due = head.receivedAt + hold;
  const holds = c.queue.length < Math.ceil(c.fullBatch / 2) && c.arrivalGapMs < hold &&
    !c.queue.owesAnswer && head.receivedAt > 0 && c.now < due;
  return holds ? due : undefined;
}

/**
 * The guilds held, each until its hold runs out, and the sweep that offers
 * those due to `pump` again (which holds them again or sends); the timer runs
 * only while some are held. A guild that gets an event meanwhile is pumped
 * by its delivery and may go sooner.
 *
 * @example
 * ```ts
 * const held = new HeldGuilds<string>((guild) => pump(guild));
 * held.add("g1", performance.now() + 100); // pumped again 100–120 ms from now
 * held.close();
 * ```
 */
export class HeldGuilds<G> {
  /** Held guilds and when each is due (`performance.now()` ms). */
  #held = new Map<G, number>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly pump: (guild: G) => void) {}

  /** Holds `guild` until `due`, within {@linkcode HOLD_SWEEP_MS} after. */
  add(guild: G, due: number): void {
    this.#held.set(guild, due);
    this.#timer ??= setInterval(() => this.#sweep(), HOLD_SWEEP_MS);
  }

  #sweep(): void {
    if (this.#held.size === 0) {
      this.close();
      return;
    }
    const now = performance.now();
    // `forEach`, not `for…of` over entries: an entry array per held guild per sweep was
    // 98 bytes an event of the host's allocation at 1,000 guilds (`bench:cost`'s heap profile).
    // A guild pumped here and held again is set anew, seen again below, and not due.
    this.#held.forEach((due, guild) => {
      if (due > now) return;
      this.#held.delete(guild);
      this.pump(guild);
    });
  }

  /**
   * Offers the held guilds `which` picks to `pump` at once, oldest hold first, until `enough`
   * says so: their process stopped being loaded, and a hold must not leave it idle while
   * events wait. Once it is loaded again (`enough`), the rest stay held as they were: offered,
   * each would only be held again (its process loaded), and a release happens whenever a
   * process's events in flight dip below a full batch. At 1,000 guilds the host spent 4–10 %
   * of its samples re-holding every held guild of the process on each such dip.
   */
  release(which: (guild: G) => boolean, enough: () => boolean = () => false): void {
    // Bounded: a guild pumped here may be held again, and then comes round once more.
    let left = this.#held.size;
    for (const guild of this.#held.keys()) {
      if (left-- === 0 || enough()) return;
      if (!which(guild)) continue;
      this.#held.delete(guild);
      this.pump(guild);
    }
  }

  /** Forgets every held guild and stops the sweep. */
  close(): void {
    this.#held.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
