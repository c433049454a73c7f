/**
 * Fairness in front of Discord's REST API: each guild's calls go through
 * its own concurrency limit and token bucket, so one guild cannot use up
 * the bot's global rate limit (50 requests/s shared by every guild) or all
 * of its connections. A call over budget waits its turn; when too many
 * wait, it is refused with a clear error instead of queueing without end.
 *
 * @module
 */

import type { OperationName } from "../../sandbox/protocol/mod.ts";
import type { OperationExecutor } from "../sandboxes.ts";

/** One guild's share of Discord's REST API. */
export interface RestBudget {
  /** Calls of one guild running at once. */
  concurrency: number;
  /** Sustained calls per second of one guild. */
  perSecond: number;
  /** Calls allowed in a burst above the sustained rate. */
  burst: number;
  /** Calls of one guild that may wait for their turn; more are refused. */
  maxWaiting: number;
}

/** Defaults: 4 at once, 5/s sustained, bursts of 10, 50 waiting. */
export const DEFAULT_REST_BUDGET: RestBudget = {
  concurrency: 4,
  perSecond: 5,
  burst: 10,
  maxWaiting: 50,
};

/** Thrown when a guild has too many Discord calls waiting. */
export class RestBudgetExceeded extends Error {
  override name = "RestBudgetExceeded";
}

interface GuildState {
  running: number;
  tokens: number;
  refilledAt: number;
  waiting: (() => void)[];
  timer: ReturnType<typeof setTimeout> | null;
}

/** Prefixes of operations that never count as Discord calls (answers, storage). */
const NOT_DISCORD = ["interaction.", "kv.", "sorted.", "tasks.", "cpu."];

/**
 * Whether an operation counts against the guild's REST budget: interaction
 * answers are exempt from Discord's global limit (and must meet the 3 s
 * deadline); storage operations never reach Discord.
 */
export function isBudgetedOperation(op: OperationName | string): boolean {
  // Outbound fetch never reaches Discord: it has a budget of its own (`mod.ts`).
  return !NOT_DISCORD.some((prefix) => op.startsWith(prefix)) && op !== "fetch";
}

/** Prefixes of the operations the host serves from guild storage (KV, sorted sets, tasks). */
const STORAGE = ["kv.", "sorted.", "tasks."];

/**
 * Whether an operation is host work on guild storage: these have a budget of
 * their own, so one guild's flood of calls cannot take the host's event loop
 * (and its neighbours' latency) with it (`mod.ts`).
 */
export function isStorageOperation(op: OperationName | string): boolean {
  return STORAGE.some((prefix) => op.startsWith(prefix));
}

/**
 * An {@linkcode OperationExecutor} that applies a {@linkcode RestBudget} per
 * guild before handing calls to `inner`.
 *
 * @example
 * ```ts
 * const fair = new GuildRestBudget(operations, { ...DEFAULT_REST_BUDGET, perSecond: 2 });
 * await fair.execute(guildId, "message.send", { channelId, data: { content: "hi" } });
 * ```
 */
export class GuildRestBudget implements OperationExecutor {
  #guilds = new Map<string, GuildState>();

  constructor(
    readonly inner: OperationExecutor,
    readonly budget: RestBudget = DEFAULT_REST_BUDGET,
    readonly now: () => number = () => performance.now(),
    /** Which operations this budget counts (default: those that reach Discord's REST API). */
    readonly counts: (op: OperationName) => boolean = isBudgetedOperation,
    /** What the refusal calls the operations, e.g. "Discord calls". */
    readonly what = "Discord calls",
  ) {}

  async execute(guildId: string, op: OperationName, args: unknown): Promise<unknown> {
    if (!this.counts(op)) return await this.inner.execute(guildId, op, args);
    await this.#acquire(guildId);
    try {
      return await this.inner.execute(guildId, op, args);
    } finally {
      this.#release(guildId);
    }
  }

  #state(guildId: string): GuildState {
    let state = this.#guilds.get(guildId);
    if (!state) {
      state = {
        running: 0,
        tokens: this.budget.burst,
        refilledAt: this.now(),
        waiting: [],
        timer: null,
      };
      this.#guilds.set(guildId, state);
    }
    return state;
  }

  #refill(state: GuildState): void {
    const now = this.now();
    const earned = ((now - state.refilledAt) / 1000) * this.budget.perSecond;
    state.tokens = Math.min(this.budget.burst, state.tokens + earned);
    state.refilledAt = now;
  }

  #tryTake(state: GuildState): boolean {
    this.#refill(state);
    if (state.running >= this.budget.concurrency || state.tokens < 1) return false;
    state.tokens -= 1;
    state.running++;
    return true;
  }

  #acquire(guildId: string): Promise<void> {
    const state = this.#state(guildId);
    if (state.waiting.length === 0 && this.#tryTake(state)) return Promise.resolve();
    if (state.waiting.length >= this.budget.maxWaiting) {
      return Promise.reject(
        new RestBudgetExceeded(
          `too many ${this.what} waiting for this guild (limit ${this.budget.maxWaiting}; ` +
            `${this.budget.perSecond}/s, ${this.budget.concurrency} at once)`,
        ),
      );
    }
    return new Promise((resolve) => {
      state.waiting.push(resolve);
      this.#schedule(guildId, state);
    });
  }

  #release(guildId: string): void {
    const state = this.#state(guildId);
    state.running--;
    this.#drain(guildId, state);
  }

  #drain(guildId: string, state: GuildState): void {
    while (state.waiting.length > 0 && this.#tryTake(state)) state.waiting.shift()!();
    if (state.waiting.length === 0 && state.timer !== null) {
      clearTimeout(state.timer);
      state.timer = null;
    }
    if (state.waiting.length > 0) this.#schedule(guildId, state);
    else if (
      state.running === 0 && state.tokens >= this.budget.burst && state.timer === null &&
      this.#guilds.get(guildId) === state
    ) {
      this.#guilds.delete(guildId); // idle and full: nothing worth remembering
    }
  }

  /** Wakes the queue when the next token is due (concurrency frees wake it on release). */
  #schedule(guildId: string, state: GuildState): void {
    if (state.timer !== null || state.running >= this.budget.concurrency) return;
    const waitMs = Math.max(1, Math.ceil(((1 - state.tokens) / this.budget.perSecond) * 1000));
    state.timer = setTimeout(() => {
      state.timer = null;
      this.#drain(guildId, state);
    }, waitMs);
  }
}
