/**
 * Start-up connections to a storage server that name the server when they
 * fail, and give up after a deadline instead of waiting forever on a server
 * that accepted the connection and never answers.
 *
 * @module
 */

import { errorMessage } from "../shared/error_message.ts";

/** How long a backend has to answer at start, ms. @default 5_000 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** A storage server refused, failed or did not answer at start; the message names it. */
export class BackendUnavailableError extends Error {
  override name = "BackendUnavailableError";
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.href.replace(/\/$/, "");
  } catch {
    return "(unparsable URL)";
  }
}

/**
 * Waits for `attempt`, at most `timeoutMs`. On a timeout or failure it calls
 * `abandon` (which must release the connection) and throws a
 * {@linkcode BackendUnavailableError} such as
 * `Redis at redis://127.0.0.1:6390: no answer in 5 s`.
 *
 * @example
 * ```ts
 * const client = createClient({ url });
 * await answersWithin("Redis", url, client.connect(), { abandon: () => client.destroy() });
 * ```
 */
export async function answersWithin<T>(
  backend: string,
  url: string,
  attempt: Promise<T>,
  options: { timeoutMs?: number; abandon: () => unknown },
): Promise<T> {
  const { timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS, abandon } = options;
  const name = `${backend} at ${redactUrl(url)}`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const seconds = timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`;
      reject(new BackendUnavailableError(`${name}: no answer in ${seconds}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([attempt, deadline]);
  } catch (error) {
    attempt.catch(() => {}); // settles later, after the connection is dropped
    try {
      await abandon();
    } catch { /* the connection is being dropped anyway */ }
    if (error instanceof BackendUnavailableError) throw error;
    throw new BackendUnavailableError(
      `${name}: ${errorMessage(error)}`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}
