/**
 * Optimistic-concurrency loop for Deno KV: read, build an atomic operation
 * with version checks, commit; on a failed check, read again. Deno KV
 * serialises commits, so each round at least one contender wins and the
 * loop always makes progress.
 *
 * @module
 */

/** Outcome of one attempt: `done: false` means a check failed (or the database was busy); read again. */
export type Attempt<T> = { done: true; value: T } | { done: false };

/** Thrown when an operation kept losing races; callers may try again later. */
export class StorageConflictError extends Error {
  override name = "StorageConflictError";
}

const MAX_ATTEMPTS = 500;

/** Runs `attempt` until it reports done; backs off briefly under heavy contention. */
export async function retryAtomic<T>(
  what: string,
  attempt: () => Promise<Attempt<T>>,
): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    let result: Attempt<T>;
    try {
      result = await attempt();
    } catch (error) {
      // Another process holds the SQLite write lock: transient, like a failed check.
      if (!isBusy(error)) throw error;
      result = AGAIN;
    }
    if (result.done) return result.value;
    if (i >= 8) {
      // Jitter spreads contenders out so they stop colliding in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(i, 50)));
    }
  }
  throw new StorageConflictError(`${what}: gave up after ${MAX_ATTEMPTS} conflicting attempts`);
}

/** A finished attempt carrying its result. */
export function done<T>(value: T): Attempt<T> {
  return { done: true, value };
}

/** An attempt that lost a race and must be read again. */
export const AGAIN: Attempt<never> = { done: false };

/** SQLite's "database is locked" (SQLITE_BUSY), as Deno KV reports it when handles contend. */
export function isBusy(error: unknown): boolean {
  return error instanceof Error && /database is locked/i.test(error.message);
}

/** Runs one unconditional write, retrying while another process holds the database lock. */
export async function write<T>(what: string, fn: () => Promise<T>): Promise<T> {
  return await retryAtomic(what, async () => done(await fn()));
}
