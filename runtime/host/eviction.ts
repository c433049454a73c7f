/**
 * Eviction: which guilds keep a resident worker. The idle sweep stops the
 * workers idle past `idleMs`, and a cold start first makes room under
 * `maxResident` by stopping the least recently used idle ones; a cluster node
 * releases the worker of a guild whose events another node runs (a busy one
 * once its running batch ends); a busy guild (`isBusy` in `guild_state.ts`)
 * is never evicted. The bookkeeping is
 * `residency.ts` and the timer `idle_sweep.ts`; this module is the policy
 * joining them, and reaches the manager only through {@linkcode EvictionHost}.
 *
 * @module
 */

import { type Guild, isBusy } from "./guild_state.ts";
import type { GuildWorker } from "./guild_worker.ts";
import { IdleSweep } from "./idle_sweep.ts";
import type { FloraMetrics } from "./metrics.ts";
import { Residency, type ResidencyLimits } from "./residency.ts";

/** What evicting workers needs from the sandbox manager. */
export interface EvictionHost {
  /** The registered guild with this id, if any. */
  guild(guildId: string): Guild | undefined;
  /** Stops a worker (it leaves the residency through {@linkcode Eviction.remove}). */
  stop(worker: GuildWorker): void;
  /** Shutting down: the idle sweep does not start again. */
  closing(): boolean;
  /**
   * Whether this node runs the guild's events now (a cluster node owns its partition): a
   * release put off while the worker was busy is dropped then.
   */
  runsHere(guildId: string): boolean;
}

/**
 * Tracks resident guilds and evicts idle ones: on a timer while any is
 * resident, and to make room before a cold start.
 *
 * @example
 * ```ts
 * const eviction = new Eviction({ maxResident: 100, idleMs: 60_000 }, host, metrics);
 * eviction.touch(guild.id); // the guild's worker was used
 * eviction.check();         // starts the idle sweep now something is resident
 * eviction.makeRoom();      // before a cold start: evicts the least recently used idle guild
 * eviction.stop();
 * ```
 */
export class Eviction {
  #residency: Residency;
  #sweep: IdleSweep;
  /** Guilds released while busy: their workers stop once idle, unless the guild comes back. */
  #releasing = new Set<string>();

  constructor(
    limits: ResidencyLimits,
    readonly host: EvictionHost,
    readonly metrics: FloraMetrics,
  ) {
    this.#residency = new Residency(limits);
    this.#sweep = new IdleSweep(Math.max(10, Math.min(1_000, limits.idleMs / 2)), () => {
      for (const guildId of this.#residency.idle(Date.now(), (id) => this.#busy(id))) {
        this.#evict(guildId, "idle");
      }
    });
  }

  /** Resident guilds. */
  get size(): number {
    return this.#residency.size;
  }

  /** When the guild's worker was last used (ms), undefined if none is resident. */
  lastUse(guildId: string): number | undefined {
    return this.#residency.lastUse(guildId);
  }

  /** The guild's worker was just used: resident, most recently used. */
  touch(guildId: string): void {
    this.#residency.touch(guildId, Date.now());
  }

  /** The guild has no resident worker any more. */
  remove(guildId: string): void {
    this.#residency.remove(guildId);
    this.#releasing.delete(guildId);
  }

  /** Runs the idle sweep while any worker is resident (and not closing). */
  check(): void {
    this.#sweep.check(this.#residency.size, this.host.closing());
  }

  /** Evicts the least recently used idle guilds so that one more worker fits under the cap. */
  makeRoom(): void {
    for (const guildId of this.#residency.overCap((id) => this.#busy(id), 1)) {
      this.#evict(guildId, "lru");
    }
  }

  /**
   * Stops the guild's worker now unless it is busy: its events run on another node. Returns
   * whether it was stopped; a busy one is stopped by {@linkcode batchEnded} once idle (before,
   * it stayed resident until the idle timeout, 5 minutes by default).
   */
  release(guildId: string): boolean {
    if (this.#busy(guildId)) {
      this.#releasing.add(guildId);
      return false;
    }
    this.#releasing.delete(guildId);
    this.#evict(guildId, "elsewhere");
    return true;
  }

  /**
   * The guild's worker finished a batch: a release put off while it was busy happens now if it
   * is idle and its events still run on another node (its partition did not come back).
   */
  batchEnded(guildId: string): void {
    if (!this.#releasing.has(guildId)) return;
    if (this.host.runsHere(guildId)) this.#releasing.delete(guildId);
    else this.release(guildId);
  }

  /** Stops the idle sweep. */
  stop(): void {
    this.#sweep.stop();
  }

  /** Has something to do: starting, running events, events waiting, or a deploy loading. */
  #busy(guildId: string): boolean {
    return isBusy(this.host.guild(guildId));
  }

  #evict(guildId: string, reason: "idle" | "lru" | "elsewhere"): void {
    const guild = this.host.guild(guildId);
    if (!guild?.worker) {
      this.#residency.remove(guildId);
      return;
    }
    this.metrics.evictions.inc(reason);
    this.host.stop(guild.worker);
  }
}
