/**
 * Fixed CPU work for hostile CPU tests, and what it costs on this machine
 * now. A hog that busy-waits on the clock burns whatever share of a core the
 * machine gives it: on a saturated machine that can be a fifth of a core,
 * so limits tuned for a quiet one are never reached. A hog that does a fixed
 * amount of work uses the same CPU time under any load (only its wall time
 * grows), and limits derived from the share a busy thread gets here and now
 * can be crossed under any load.
 *
 * @module
 */

/** Script source defining `work(units)`: a fixed amount of arithmetic, no clock reads. */
export const WORK = `const work = (units) => {
  let x = 0;
  for (let i = 0; i < units * 1000; i++) x = (x * 31 + i) | 0;
  return x;
};`;

/** What a busy thread gets on this machine now. */
export interface CpuMeasure {
  /** Share of a core a thread busy for a second got (0–1). */
  share: number;
  /** `work()` units one CPU millisecond runs. */
  unitsPerMs: number;
}

/**
 * Runs {@linkcode WORK} in a worker thread for `wallMs` and measures its
 * thread's CPU time.
 *
 * @example
 * ```ts
 * const { share, unitsPerMs } = await measureCpu();
 * const hog = `${WORK} work(${Math.round(50 * unitsPerMs)});`; // ≈ 50 ms of CPU
 * ```
 */
export async function measureCpu(wallMs = 1_000): Promise<CpuMeasure> {
  const source = `import process from "node:process";
${WORK}
const cpuMs = () => { const u = process.threadCpuUsage(); return (u.user + u.system) / 1000; };
self.onmessage = (event) => {
  work(20); // warm up the loop before measuring
  const startCpu = cpuMs(), start = performance.now(), end = start + event.data;
  let units = 0, sink = 0;
  while (performance.now() < end) { sink ^= work(5); units += 5; }
  self.postMessage({ units, cpuMs: cpuMs() - startCpu, wallMs: performance.now() - start, sink });
};`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  try {
    const result = await new Promise<{ units: number; cpuMs: number; wallMs: number }>(
      (resolve, reject) => {
        worker.onmessage = (event) => resolve(event.data);
        worker.onerror = (event) => reject(new Error(`CPU measurement failed: ${event.message}`));
        worker.postMessage(wallMs);
      },
    );
    // Thread CPU time moves in 10 ms steps: never divide by less than one step.
    const cpuMs = Math.max(10, result.cpuMs);
    return { share: Math.min(1, cpuMs / result.wallMs), unitsPerMs: result.units / cpuMs };
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
}
