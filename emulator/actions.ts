/**
 * The log of everything the bot did through REST, in order. Tests and the
 * control API read it to assert on a bot's behavior without intercepting
 * the bot itself; waiters long-poll for the next entry.
 *
 * @module
 */

/** One REST request the bot made, with what the emulator answered. */
export interface BotAction {
  seq: number;
  at: number;
  method: string;
  path: string;
  /** Method and route pattern, e.g. "POST /channels/:id/messages". */
  route: string;
  status: number;
  guildId?: string;
  channelId?: string;
  interactionId?: string;
  /** The parsed JSON request body (`payload_json` for multipart), or null. */
  body: unknown;
  /** The JSON response body, when there was one. */
  response?: unknown;
}

/** Append-only action log with long-poll waiting. */
export class ActionLog {
  readonly #entries: BotAction[] = [];
  #waiters = new Set<() => void>();

  append(action: Omit<BotAction, "seq">): BotAction {
    const entry: BotAction = { seq: this.#entries.length + 1, ...action };
    this.#entries.push(entry);
    for (const wake of [...this.#waiters]) wake();
    return entry;
  }

  /** Entries with seq greater than `since`, optionally for one guild. */
  list(filter: { since?: number; guildId?: string } = {}): BotAction[] {
    const since = filter.since ?? 0;
    return this.#entries.filter((a) =>
      a.seq > since && (filter.guildId === undefined || a.guildId === filter.guildId)
    );
  }

  /** The latest seq (0 when empty). */
  get lastSeq(): number {
    return this.#entries.length;
  }

  /**
   * Resolves once an entry newer than `since` exists, or after `timeoutMs`
   * (whichever comes first), or when the log closes.
   */
  wait(since: number, timeoutMs: number): Promise<void> {
    if (this.lastSeq > since) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** Releases every pending waiter (the emulator is closing). */
  close(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
