/**
 * Guild logs kept in the storage `LogStore` (a persistent ring buffer per
 * guild) with an in-process fan-out, so the API can stream new lines live
 * (SSE) and resume a stream from the last id a client saw.
 *
 * @module
 */

import type { LogRecord, LogStore } from "../../storage/types.ts";
import type { LogLevel } from "../sandbox/protocol/mod.ts";
import type { LogSink } from "./logs.ts";

/** Receives each stored record of one guild. */
export type LogListener = (record: LogRecord) => void;

/** Reads a guild's logs and follows new ones (what the logs API needs). */
export interface LogFeed {
  recent(guildId: string, limit?: number): Promise<LogRecord[]>;
  since(guildId: string, id: string, limit?: number): Promise<LogRecord[]>;
  /** Calls `listener` with every record stored after this call; returns the unsubscribe. */
  subscribe(guildId: string, listener: LogListener): () => void;
}

/**
 * A {@linkcode LogSink} that stores every line and tells live subscribers.
 *
 * @example
 * ```ts ignore
 * const logs = new StoredGuildLogs(storage.logs);
 * const stop = logs.subscribe(guildId, (r) => console.log(r.message));
 * logs.append(guildId, "info", "hello");
 * ```
 */
export class StoredGuildLogs implements LogSink, LogFeed {
  #listeners = new Map<string, Set<LogListener>>();
  #pending = new Set<Promise<unknown>>();
  #echoSeq = new Map<string, number>();

  constructor(
    readonly store: LogStore,
    /**
     * Also echo each line (e.g. to the host's stdout) at once, before it is stored: a durable
     * write per line lags behind a busy script, and the echo's readers (terminal, dev session,
     * test kit) need no store id. `id` is then a per-guild sequence number of this process.
     */
    readonly echo?: (record: LogRecord) => void,
    /** Told when a line could not be stored (it is then dropped). */
    readonly onError?: (error: unknown) => void,
  ) {}

  append(guildId: string, level: LogLevel, message: string): void {
    if (this.echo) {
      const seq = (this.#echoSeq.get(guildId) ?? 0) + 1;
      this.#echoSeq.set(guildId, seq);
      try {
        this.echo({ id: String(seq), guildId, level, message, at: new Date().toISOString() });
      } catch (error) {
        this.onError?.(error);
      }
    }
    const write = this.store.append(guildId, { level, message }).then((record) => {
      for (const listener of this.#listeners.get(guildId) ?? []) {
        try {
          listener(record);
        } catch (error) {
          this.onError?.(error);
        }
      }
    }, (error) => this.onError?.(error));
    this.#pending.add(write);
    write.finally(() => this.#pending.delete(write));
  }

  recent(guildId: string, limit?: number): Promise<LogRecord[]> {
    return this.store.recent(guildId, limit);
  }

  since(guildId: string, id: string, limit?: number): Promise<LogRecord[]> {
    return this.store.since(guildId, id, limit);
  }

  subscribe(guildId: string, listener: LogListener): () => void {
    let set = this.#listeners.get(guildId);
    if (!set) this.#listeners.set(guildId, set = new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(guildId) === set) this.#listeners.delete(guildId);
    };
  }

  /** Waits until every line appended so far is stored (before closing storage). */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
