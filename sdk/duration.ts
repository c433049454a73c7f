/**
 * Durations as people write them (`90s`, `15m`, `2h`, `1d`), for
 * `tasks.schedule(name, { in: "15m" })` and the test kit's clock.
 *
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds in `90s`, `15m`, `2h`, `1d` or a number.
 *
 * @example
 * ```ts
 * parseDuration("15m"); // 900_000
 * ```
 */
export function parseDuration(by: number | string): number {
  if (typeof by === "number") {
    if (!Number.isFinite(by) || by < 0) throw new RangeError("a duration must be ≥ 0 ms");
    return by;
  }
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(by.trim());
  if (!match) throw new RangeError(`"${by}" is not a duration like 90s, 15m, 2h or 1d`);
  return Number(match[1]) * UNITS[match[2]];
}
