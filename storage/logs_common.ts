/**
 * Log record checks and ids shared by LogStore backends.
 *
 * @module
 */

import { checkGuildId } from "./guild_kv_limits.ts";
import {
  type LogLevel,
  type LogRecord,
  type LogStore,
  type NewLogRecord,
  StorageInputError,
} from "./types.ts";

/** Tunables of a log ring buffer. */
export interface LogOptions {
  /** Records kept per guild; older ones are overwritten. Default 1000. */
  capacity: number;
  /** Longer messages are cut (with "…"). Default 8192 characters. */
  maxMessageChars: number;
}

export const DEFAULT_LOG_OPTIONS: LogOptions = { capacity: 1000, maxMessageChars: 8192 };

const LEVELS: ReadonlySet<string> = new Set(["debug", "info", "warn", "error"]);

/** Log ids are zero-padded sequence numbers: increasing and sortable as strings. */
export function logId(seq: number): string {
  return String(seq).padStart(16, "0");
}

/** The sequence number in a log id. */
export function logSeq(id: string): number {
  if (typeof id !== "string" || !/^\d{1,16}$/.test(id)) {
    throw new StorageInputError(`log id ${JSON.stringify(id)} is not one this store issued`);
  }
  return Number(id);
}

/** Checks a record and applies the message length limit. */
export function checkLogRecord(record: NewLogRecord, options: LogOptions): NewLogRecord {
  if (!LEVELS.has(record.level)) {
    throw new StorageInputError("level must be one of debug, info, warn, error");
  }
  if (typeof record.message !== "string") throw new StorageInputError("message must be a string");
  const message = record.message.length > options.maxMessageChars
    ? record.message.slice(0, options.maxMessageChars) + "…"
    : record.message;
  return {
    level: record.level as LogLevel,
    message,
    ...(record.deploymentId === undefined ? {} : { deploymentId: String(record.deploymentId) }),
  };
}

/** Checks a read limit (1…capacity, default 100). */
export function checkLogLimit(limit: number | undefined, capacity: number): number {
  const value = limit ?? Math.min(100, capacity);
  if (!Number.isInteger(value) || value < 1) {
    throw new StorageInputError("limit must be a positive integer");
  }
  return Math.min(value, capacity);
}

/**
 * The input checks every LogStore backend shares; a backend supplies the
 * reads and the append of arguments already checked.
 */
export abstract class CheckedLogStore implements LogStore {
  protected readonly options: LogOptions;

  constructor(options: Partial<LogOptions> = {}) {
    this.options = { ...DEFAULT_LOG_OPTIONS, ...options };
  }

  async append(guildId: string, record: NewLogRecord): Promise<LogRecord> {
    checkGuildId(guildId);
    return await this.appendChecked(guildId, checkLogRecord(record, this.options));
  }

  async recent(guildId: string, limit?: number): Promise<LogRecord[]> {
    checkGuildId(guildId);
    return await this.readRecent(guildId, checkLogLimit(limit, this.options.capacity));
  }

  async since(guildId: string, id: string, limit?: number): Promise<LogRecord[]> {
    checkGuildId(guildId);
    const after = logSeq(id);
    return await this.readSince(guildId, after, checkLogLimit(limit, this.options.capacity));
  }

  /** Appends a checked record (message already cut to length). */
  protected abstract appendChecked(guildId: string, record: NewLogRecord): Promise<LogRecord>;
  /** The newest `count` records, oldest first. */
  protected abstract readRecent(guildId: string, count: number): Promise<LogRecord[]>;
  /** Up to `count` records after sequence number `after`, oldest first. */
  protected abstract readSince(guildId: string, after: number, count: number): Promise<LogRecord[]>;
}
