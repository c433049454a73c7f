/**
 * Log volume limits per guild: a script that logs in a loop must not flood
 * the log store, the host's output or its neighbours. Lines past the budget
 * of a window are dropped; the guild's log says so once, and how many were
 * dropped when the window closes.
 *
 * @module
 */

import { count } from "../../../shared/plural.ts";
import type { LogLevel } from "../../sandbox/protocol/mod.ts";
import type { LogSink } from "../logs.ts";

/** How many lines a guild may log per window. */
export interface LogBudget {
  lines: number;
  windowMs: number;
}

/** Defaults: 200 lines per 10 seconds. */
export const DEFAULT_LOG_BUDGET: LogBudget = { lines: 200, windowMs: 10_000 };

interface Window {
  startedAt: number;
  count: number;
  dropped: number;
}

/**
 * A {@linkcode LogSink} that forwards at most `budget.lines` lines per guild
 * per window to `inner`.
 *
 * @example
 * ```ts
 * const sink = new RateLimitedLogSink(new MemoryLogBuffer(), { lines: 100, windowMs: 1_000 });
 * sink.append("guild", "info", "hello");
 * ```
 */
export class RateLimitedLogSink implements LogSink {
  #windows = new Map<string, Window>();

  constructor(
    readonly inner: LogSink,
    readonly budget: LogBudget = DEFAULT_LOG_BUDGET,
    readonly now: () => number = Date.now,
  ) {}

  append(guildId: string, level: LogLevel, message: string): void {
    const now = this.now();
    let window = this.#windows.get(guildId);
    if (!window || now - window.startedAt >= this.budget.windowMs) {
      if (window && window.dropped > 0) {
        this.inner.append(
          guildId,
          "warn",
          `flora: ${
            count(window.dropped, "log line was", "log lines were")
          } dropped (limit ${this.budget.lines} per ${this.budget.windowMs / 1000} s)`,
        );
      }
      window = { startedAt: now, count: 0, dropped: 0 };
      this.#windows.set(guildId, window);
    }
    window.count++;
    if (window.count <= this.budget.lines) {
      this.inner.append(guildId, level, message);
      return;
    }
    if (window.dropped++ === 0) {
      this.inner.append(
        guildId,
        "warn",
        `flora: this guild logged more than ${this.budget.lines} lines in ${
          this.budget.windowMs / 1000
        } s; further lines are dropped until the window ends`,
      );
    }
  }
}
