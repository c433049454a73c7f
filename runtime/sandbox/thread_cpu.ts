/**
 * CPU time, as the sandbox watchdog needs it: the whole sandbox process's
 * and the calling thread's, both from `getrusage` (no permission needed).
 *
 * Why not read every worker thread's time from `/proc/self/task/<tid>/stat`
 * in the sandbox process? Deno 2.9 refuses any read under `/proc`, `/sys` or
 * `/dev` without `--allow-all`, whatever `--allow-read` grants (symlinks such
 * as `/proc/self` are resolved first), and a sandbox process holding
 * `--allow-all` is not worth it. So each worker's runtime reports its own
 * thread's time in its pongs (captured before the script runs, so the script
 * cannot replace it), and the process uses its own total to notice CPU that
 * no worker it pinged accounts for.
 *
 * @module
 */

interface CpuUsage {
  user: number;
  system: number;
}

/** The `node:process` functions used here (`threadCpuUsage` is newer than some typings). */
interface ProcessCpu {
  cpuUsage(): CpuUsage;
  threadCpuUsage?(): CpuUsage;
}

// Captured at import: in a worker, before the script can replace anything.
const nodeProcess = (globalThis as { process?: ProcessCpu }).process;
const cpuUsage = nodeProcess?.cpuUsage?.bind(nodeProcess);
const threadCpuUsage = nodeProcess?.threadCpuUsage?.bind(nodeProcess);

const toMs = (usage: CpuUsage) => (usage.user + usage.system) / 1000;

/**
 * CPU time of the whole process (every thread) so far, ms; null when the
 * runtime cannot tell.
 *
 * @example
 * ```ts
 * const before = processCpuMs();
 * // … work …
 * const used = before === null ? null : processCpuMs()! - before;
 * ```
 */
export function processCpuMs(): number | null {
  try {
    return cpuUsage ? toMs(cpuUsage()) : null;
  } catch {
    return null;
  }
}

/**
 * CPU time of the calling thread so far, ms (10 ms steps on Linux); null
 * when the runtime cannot tell (then the watchdog pings as it always did).
 *
 * @example
 * ```ts
 * threadCpuMs(); // e.g. 40
 * ```
 */
export function threadCpuMs(): number | null {
  try {
    return threadCpuUsage ? toMs(threadCpuUsage()) : null;
  } catch {
    return null;
  }
}

/**
 * CPU the process used between two samples that its main thread and the
 * workers' reports do not account for: a worker the watchdog did not ping
 * is busy (a timer that woke up by itself), so it should ping everyone.
 */
export class UnexplainedCpu {
  #process = processCpuMs();
  #main = threadCpuMs();

  /** Whether the process can measure anything (else: ping every worker every round). */
  get available(): boolean {
    return this.#process !== null && this.#main !== null;
  }

  /**
   * Ms of CPU since the last call not explained by this thread nor by
   * `explainedMs` (what the workers reported meanwhile); 0 when unavailable.
   *
   * @example
   * ```ts
   * const meter = new UnexplainedCpu();
   * // … one watchdog round later:
   * if (meter.sample(reportedByWorkers) > 40) {
   *   // ping every worker: one that was not pinged is busy
   * }
   * ```
   */
  sample(explainedMs: number): number {
    const process = processCpuMs();
    const main = threadCpuMs();
    if (process === null || main === null || this.#process === null || this.#main === null) {
      return 0;
    }
    const unexplained = (process - this.#process) - (main - this.#main) - explainedMs;
    this.#process = process;
    this.#main = main;
    return Math.max(0, unexplained);
  }
}
