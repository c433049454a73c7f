/**
 * Counts in words that agree with them: "1 key", "3 keys".
 *
 * @module
 */

/**
 * `n` and the noun, singular for 1 and plural otherwise.
 *
 * @example
 * ```ts
 * count(1, "key"); // "1 key"
 * count(0, "entry", "entries"); // "0 entries"
 * ```
 */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
