/**
 * Which guilds have a resident worker, in least-recently-used order, and
 * which of them may go: idle past a time limit, or the oldest idle ones
 * when the resident count is over its cap. Deployed guilds are many and
 * mostly quiet; resident workers cost memory, so only active ones stay.
 *
 * @module
 */

/** How residency is bounded. */
export interface ResidencyLimits {
  /** Resident workers allowed before the least recently used idle ones are evicted. */
  maxResident: number;
  /** A worker idle (nothing queued or running) this long is evicted, ms. */
  idleMs: number;
}

/**
 * Tracks resident guilds by last use. Pure bookkeeping: the caller decides
 * whether a guild is busy and performs the eviction.
 *
 * @example
 * ```ts
 * const r = new Residency({ maxResident: 2, idleMs: 60_000 });
 * r.touch("a", 0); r.touch("b", 1); r.touch("c", 2);
 * r.overCap(() => false); // ["a"]: the least recently used idle guild
 * ```
 */
export class Residency {
  /** guild id → last use (ms); Map order is least → most recently used. */
  #lastUse = new Map<string, number>();

  constructor(readonly limits: ResidencyLimits) {
    if (!Number.isInteger(limits.maxResident) || limits.maxResident < 1) {
      throw new RangeError("maxResident must be a whole number ≥ 1");
    }
    if (!(limits.idleMs > 0)) throw new RangeError("idleMs must be positive");
  }

  /** Resident guilds. */
  get size(): number {
    return this.#lastUse.size;
  }

  has(guildId: string): boolean {
    return this.#lastUse.has(guildId);
  }

  /** When a resident guild was last used (ms), undefined when it is not resident. */
  lastUse(guildId: string): number | undefined {
    return this.#lastUse.get(guildId);
  }

  /** Marks a guild as resident and just used. */
  touch(guildId: string, now: number): void {
    this.#lastUse.delete(guildId);
    this.#lastUse.set(guildId, now);
  }

  /** Forgets a guild (its worker stopped). */
  remove(guildId: string): void {
    this.#lastUse.delete(guildId);
  }

  /** Guilds idle since before `now - idleMs` and not busy, oldest first. */
  idle(now: number, busy: (guildId: string) => boolean): string[] {
    const cutoff = now - this.limits.idleMs;
    const out: string[] = [];
    for (const [guildId, at] of this.#lastUse) {
      if (at > cutoff) break; // the rest were used more recently
      if (!busy(guildId)) out.push(guildId);
    }
    return out;
  }

  /**
   * Guilds to evict so that `incoming` more fit under the cap: the least
   * recently used ones that are not busy. May return fewer when the rest are
   * busy (the cap is then exceeded until they go idle).
   */
  overCap(busy: (guildId: string) => boolean, incoming = 0): string[] {
    let excess = this.#lastUse.size + incoming - this.limits.maxResident;
    const out: string[] = [];
    if (excess <= 0) return out;
    for (const guildId of this.#lastUse.keys()) {
      if (excess <= 0) break;
      if (busy(guildId)) continue;
      out.push(guildId);
      excess--;
    }
    return out;
  }
}
