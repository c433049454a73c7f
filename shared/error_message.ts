/**
 * The readable text of anything thrown. Leaf module (it imports nothing), so
 * every layer can use it.
 *
 * @module
 */

/**
 * An `Error`'s message, or anything else thrown as a string.
 *
 * @example
 * ```ts
 * errorMessage(new Error("disk full")); // "disk full"
 * errorMessage("timeout"); // "timeout"
 * ```
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
