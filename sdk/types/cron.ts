/**
 * Cron jobs.
 *
 * Part of the SDK's public types; `../types.ts` re-exports them all.
 *
 * @module
 */

/** Options of `cron()`. */
export interface CronOptions {
  /** Skip a run while the previous run of this job is still going (default false). */
  skipIfRunning?: boolean;
}

/** What a cron handler receives. */
export interface CronContext {
  name: string;
  /** When the run was due (ISO 8601, UTC). */
  scheduledAt: string;
  /** When the host fired it (epoch ms). */
  firedAt?: number;
}
