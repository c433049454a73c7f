/**
 * Where the runtime writes guild log lines (the script's console, load
 * errors, watchdog notices).
 *
 * @module
 */

import type { LogLevel } from "../sandbox/protocol/mod.ts";

/** One line of a guild's log. */
export interface LogLine {
  /** Increasing per guild, for "since" reads and stream resumption. */
  seq: number;
  /** Epoch milliseconds. */
  at: number;
  level: LogLevel;
  message: string;
}

/** Accepts guild log lines. */
export interface LogSink {
  append(guildId: string, level: LogLevel, message: string): void;
}

/** A log sink that keeps the last `capacity` lines per guild in memory. */
export class MemoryLogBuffer implements LogSink {
  #lines = new Map<string, LogLine[]>();
  #seq = new Map<string, number>();

  constructor(
    readonly capacity = 1_000,
    /** Also echo each line (e.g. to the host's stdout). */
    readonly echo?: (guildId: string, line: LogLine) => void,
  ) {}

  append(guildId: string, level: LogLevel, message: string): void {
    const seq = (this.#seq.get(guildId) ?? 0) + 1;
    this.#seq.set(guildId, seq);
    const line = { seq, at: Date.now(), level, message };
    const lines = this.#lines.get(guildId) ?? [];
    lines.push(line);
    if (lines.length > this.capacity) lines.splice(0, lines.length - this.capacity);
    this.#lines.set(guildId, lines);
    this.echo?.(guildId, line);
  }

  /** The guild's most recent lines, oldest first. */
  recent(guildId: string, limit = 100): LogLine[] {
    const lines = this.#lines.get(guildId) ?? [];
    return lines.slice(Math.max(0, lines.length - limit));
  }
}
