/**
 * How the host and a sandbox process name one guild worker. Its own module: every
 * process-level message carries one, and `events_done.ts` builds one without importing the
 * message union that includes it.
 *
 * @module
 */

/** Identifies one worker: a guild's deployment (two may run during a hot redeploy). */
export interface WorkerKey {
  guildId: string;
  deploymentId: string;
}

/**
 * A worker key as one string, for maps keyed by worker.
 *
 * @example
 * ```ts
 * workerKeyId({ guildId: "1", deploymentId: "d1" }); // "1:d1"
 * ```
 */
export function workerKeyId(key: WorkerKey): string {
  return `${key.guildId}:${key.deploymentId}`;
}
