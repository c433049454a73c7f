/**
 * LogStore on Deno KV as a true ring buffer per guild: `["log", g, "seq"]`
 * is the next sequence number and record n lives in slot n mod capacity,
 * `["log", g, "slot", n % capacity]`. Appending is O(1) and never needs a
 * cleanup pass; readers skip slots already overwritten by newer records.
 *
 * @module
 */

import { CheckedLogStore, logId, type LogOptions } from "../logs_common.ts";
import type { LogRecord, NewLogRecord } from "../types.ts";
import { KeyedQueue } from "./keyed_queue.ts";
import { AGAIN, done, retryAtomic } from "./retry.ts";

interface StoredLog extends LogRecord {
  seq: number;
}

const seqKey = (g: string): Deno.KvKey => ["log", g, "seq"];
const slotKey = (g: string, slot: number): Deno.KvKey => ["log", g, "slot", slot];

export class KvLogStore extends CheckedLogStore {
  readonly #kv: Deno.Kv;
  /** Appends of one guild queue up in-process instead of racing for the counter. */
  readonly #appends = new KeyedQueue();

  constructor(kv: Deno.Kv, options: Partial<LogOptions> = {}) {
    super(options);
    this.#kv = kv;
  }

  protected async appendChecked(guildId: string, checked: NewLogRecord): Promise<LogRecord> {
    return await this.#appends.run(guildId, () => this.#append(guildId, checked));
  }

  async #append(guildId: string, record: NewLogRecord): Promise<LogRecord> {
    const capacity = this.options.capacity;
    return await retryAtomic("append log", async () => {
      const counter = await this.#kv.get<number>(seqKey(guildId));
      const seq = counter.value ?? 0;
      const stored: StoredLog = {
        id: logId(seq),
        guildId,
        ...record,
        at: new Date().toISOString(),
        seq,
      };
      const result = await this.#kv.atomic()
        .check(counter)
        .set(seqKey(guildId), seq + 1)
        .set(slotKey(guildId, seq % capacity), stored)
        .commit();
      return result.ok ? done(toRecord(stored)) : AGAIN;
    });
  }

  protected async readRecent(guildId: string, count: number): Promise<LogRecord[]> {
    const next = (await this.#kv.get<number>(seqKey(guildId))).value ?? 0;
    return await this.#range(guildId, Math.max(0, next - count), next);
  }

  protected async readSince(guildId: string, after: number, count: number): Promise<LogRecord[]> {
    const next = (await this.#kv.get<number>(seqKey(guildId))).value ?? 0;
    const from = Math.max(after + 1, next - this.options.capacity);
    return await this.#range(guildId, from, Math.min(next, from + count));
  }

  /** Records with sequence numbers in [from, to), oldest first. */
  async #range(guildId: string, from: number, to: number): Promise<LogRecord[]> {
    const capacity = this.options.capacity;
    const out: LogRecord[] = [];
    for (let start = from; start < to; start += 10) {
      const seqs = Array.from({ length: Math.min(10, to - start) }, (_, i) => start + i);
      const entries = await this.#kv.getMany<StoredLog[]>(
        seqs.map((seq) => slotKey(guildId, seq % capacity)),
      );
      entries.forEach((entry, i) => {
        // A newer record may have taken the slot since we read the counter.
        if (entry.value !== null && entry.value.seq === seqs[i]) out.push(toRecord(entry.value));
      });
    }
    return out;
  }
}

function toRecord(stored: StoredLog): LogRecord {
  const { seq: _seq, ...record } = stored;
  return record;
}
