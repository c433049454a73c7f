/**
 * Waiting for a promise no longer than a deadline. Leaf module (it imports
 * nothing), so every layer can use it.
 *
 * @module
 */

/**
 * Resolves to true once `promise` settles (fulfilled or rejected) within `ms`,
 * to false after `ms` otherwise. Never rejects; the timer is cleared either way.
 *
 * @example
 * ```ts
 * if (!await within(socketClosed, 2_000)) console.warn("the socket did not close within 2 s");
 * ```
 */
export function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const settled = promise.then(() => true, () => true);
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
