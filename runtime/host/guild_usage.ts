/**
 * What each guild used, hour by hour, for the last day: the figures a guild
 * admin sees on the dashboard and at `GET /guilds/:guild/usage`. Counted on
 * the host's hot paths, so each count is one map lookup and an add; old
 * hours are dropped as new ones start, so memory stays at most
 * `hours + 1` buckets per guild that was active in the window.
 *
 * Kept in memory per host process: a restart starts the figures afresh, and
 * with several hosts each one reports the guilds it served.
 *
 * @module
 */

/** Every figure recorded per guild. */
export const USAGE_FIELDS = [
  "eventsHandled",
  "eventsDropped",
  "cpuMs",
  "discordCalls",
  "discord429",
  "kvOps",
  "errors",
  "restarts",
] as const;

/** One recorded figure. */
export type UsageField = typeof USAGE_FIELDS[number];

/** A value for every figure. */
export type UsageCounts = Record<UsageField, number>;

/** One hour of a guild's usage; `start` is the hour's start (ISO 8601, UTC). */
export type UsageHour = UsageCounts & { start: string };

/** A guild's usage over the window, oldest hour first (the last one is the current hour). */
export interface UsageReport {
  guildId: string;
  hours: UsageHour[];
  totals: UsageCounts;
}

/** Options of {@linkcode GuildUsage}. */
export interface GuildUsageOptions {
  /**
   * Hours reported (the current one included).
   * @default {24}
   */
  hours?: number;
  /**
   * The clock, ms since the epoch.
   * @default {Date.now}
   */
  now?: () => number;
}

const HOUR_MS = 3_600_000;

function zeroCounts(): UsageCounts {
  return Object.fromEntries(USAGE_FIELDS.map((f) => [f, 0])) as UsageCounts;
}

/**
 * Per-guild usage counts in hourly buckets.
 *
 * @example
 * ```ts
 * const usage = new GuildUsage();
 * usage.add("81384788765712384", "eventsHandled");
 * usage.add("81384788765712384", "cpuMs", 3.5);
 * usage.report("81384788765712384").totals.eventsHandled; // 1
 * ```
 */
export class GuildUsage {
  readonly #hours: number;
  readonly #now: () => number;
  /** guild → hour number (ms / HOUR_MS) → counts. */
  readonly #guilds = new Map<string, Map<number, UsageCounts>>();

  constructor(options: GuildUsageOptions = {}) {
    const { hours = 24, now = Date.now } = options;
    if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 31) {
      throw new RangeError(`hours: expected a whole number from 1 to 744, got ${hours}`);
    }
    this.#hours = hours;
    this.#now = now;
  }

  /** Adds `n` (default 1) to a guild's figure for the current hour; ignores non-finite or negative n. */
  add(guildId: string, field: UsageField, n = 1): void {
    if (!(n > 0) || !Number.isFinite(n)) return;
    const hour = Math.floor(this.#now() / HOUR_MS);
    let buckets = this.#guilds.get(guildId);
    if (!buckets) this.#guilds.set(guildId, buckets = new Map());
    let counts = buckets.get(hour);
    if (!counts) {
      buckets.set(hour, counts = zeroCounts());
      // A new hour started for this guild: the oldest ones leave the window.
      for (const old of buckets.keys()) if (old <= hour - this.#hours) buckets.delete(old);
    }
    counts[field] += n;
  }

  /** The guild's usage over the window, every hour present (zeros where nothing happened). */
  report(guildId: string): UsageReport {
    const current = Math.floor(this.#now() / HOUR_MS);
    const buckets = this.#guilds.get(guildId);
    const totals = zeroCounts();
    const hours: UsageHour[] = [];
    for (let hour = current - this.#hours + 1; hour <= current; hour++) {
      const counts = buckets?.get(hour) ?? zeroCounts();
      for (const field of USAGE_FIELDS) totals[field] += counts[field];
      hours.push({ start: new Date(hour * HOUR_MS).toISOString(), ...counts });
    }
    // CPU is measured in fractions of a millisecond; a report shows whole microseconds at most.
    for (const hour of hours) hour.cpuMs = Math.round(hour.cpuMs * 1000) / 1000;
    totals.cpuMs = Math.round(totals.cpuMs * 1000) / 1000;
    return { guildId, hours, totals };
  }

  /** Forgets a guild's figures (e.g. the bot left it). */
  forget(guildId: string): void {
    this.#guilds.delete(guildId);
  }
}
