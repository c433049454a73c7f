/**
 * Least-squares slope, for the soak's verdict on whether memory levels off.
 *
 * @module
 */

/**
 * Slope of the least-squares line through `[x, y]` points (0 with fewer than two distinct xs).
 *
 * @example
 * ```ts
 * leastSquaresSlope([[0, 1], [1, 3], [2, 5]]); // 2
 * ```
 */
export function leastSquaresSlope(points: readonly (readonly [number, number])[]): number {
  if (points.length === 0) return 0;
  const mx = points.reduce((t, [x]) => t + x, 0) / points.length;
  const my = points.reduce((t, [, y]) => t + y, 0) / points.length;
  let num = 0, den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Slope of a curve's upper envelope: the points split into `windows` runs
 * of equal length, the highest y of each against its run's middle x. A
 * curve that keeps rising has the same slope as its envelope; a saw-tooth
 * whose teeth are shorter than a run (memory climbing to a ceiling, then
 * dropping when the process is recycled) has a flat one, whatever phase
 * the points end on. With fewer than two points per run, the plain
 * least-squares slope.
 *
 * @example
 * ```ts
 * envelopeSlope([[0, 1], [1, 5], [2, 1], [3, 5], [4, 1], [5, 5]], 3); // 0
 * ```
 */
export function envelopeSlope(
  points: readonly (readonly [number, number])[],
  windows: number,
): number {
  if (!Number.isInteger(windows) || windows < 2) {
    throw new RangeError(`windows must be an integer of 2 or more, got ${windows}`);
  }
  const size = Math.floor(points.length / windows);
  // Too few points for runs of two or more: the plain slope says more than single points would.
  if (size < 2) return leastSquaresSlope(points);
  const peaks: [number, number][] = [];
  for (let w = 0; w < windows; w++) {
    const run = points.slice(w * size, (w + 1) * size);
    const x = (run[0][0] + run[run.length - 1][0]) / 2;
    peaks.push([x, Math.max(...run.map(([, y]) => y))]);
  }
  return leastSquaresSlope(peaks);
}
