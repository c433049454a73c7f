/**
 * CPU bursts: a script may ask for a longer budget for the handler it is
 * running (`requestCpuBurst(ms)`), paid from its guild's bucket of burst
 * milliseconds, which refills over time. The bucket is the host's; the
 * sandbox process then lets that one event run `ms` longer (its watchdog
 * timer, silence limit and CPU share). An empty bucket refuses the burst
 * with what is left and when it refills.
 *
 * @example
 * ```ts
 * const bursts = new CpuBursts({ capacityMs: 30_000, refillMsPerMinute: 3_000 });
 * bursts.grant("g", 10_000); // 10000
 * bursts.grant("g", 25_000); // throws: 20000 ms left
 * ```
 *
 * @module
 */

/** A guild's burst bucket; every field has a default. */
export interface CpuBurstOptions {
  /**
   * Most burst milliseconds a guild can hold (and ask for at once).
   * @default {30_000}
   */
  capacityMs: number;
  /**
   * Burst milliseconds a guild gets back per minute.
   * @default {3_000}
   */
  refillMsPerMinute: number;
}

export const DEFAULT_CPU_BURSTS: CpuBurstOptions = { capacityMs: 30_000, refillMsPerMinute: 3_000 };

/** Thrown when a guild's bucket cannot pay for a burst; the message says what is left. */
export class CpuBurstRefused extends Error {
  override name = "CpuBurstRefused";
}

/** What the bursts report to (Prometheus counters). */
export interface CpuBurstCounters {
  granted(guildId: string, ms: number): void;
  refused(guildId: string, ms: number): void;
}

/** Per-guild buckets of CPU burst milliseconds. */
export class CpuBursts {
  readonly options: CpuBurstOptions;
  #buckets = new Map<string, { ms: number; at: number }>();

  constructor(
    options: Partial<CpuBurstOptions> = {},
    readonly counters?: CpuBurstCounters,
    readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_CPU_BURSTS, ...options };
    for (const [name, value] of Object.entries(this.options)) {
      if (!Number.isFinite(value) || value < 0) {
        throw new RangeError(`CpuBurstOptions.${name} must be a number ≥ 0 (got ${value})`);
      }
    }
  }

  /** Burst milliseconds the guild has now. */
  available(guildId: string): number {
    const bucket = this.#buckets.get(guildId);
    if (!bucket) return this.options.capacityMs;
    const refilled = (this.now() - bucket.at) / 60_000 * this.options.refillMsPerMinute;
    return Math.min(this.options.capacityMs, bucket.ms + refilled);
  }

  /** Takes `ms` from the guild's bucket and resolves to it, or throws {@linkcode CpuBurstRefused}. */
  grant(guildId: string, ms: number): number {
    const { capacityMs, refillMsPerMinute } = this.options;
    if (!Number.isInteger(ms) || ms < 1 || ms > capacityMs) {
      throw new CpuBurstRefused(`a CPU burst must be 1 to ${capacityMs} ms (asked for ${ms})`);
    }
    const left = this.available(guildId);
    if (ms > left) {
      this.counters?.refused(guildId, ms);
      const wait = refillMsPerMinute > 0
        ? `; it refills ${refillMsPerMinute} ms a minute, so ${ms} ms are there in ${
          Math.ceil((ms - left) / refillMsPerMinute * 60)
        } s`
        : "";
      throw new CpuBurstRefused(
        `CPU burst of ${ms} ms refused: this guild has ${
          Math.floor(left)
        } ms left of its ${capacityMs} ms burst budget${wait}`,
      );
    }
    this.#buckets.set(guildId, { ms: left - ms, at: this.now() });
    this.counters?.granted(guildId, ms);
    return ms;
  }
}
