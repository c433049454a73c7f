/**
 * CPU time of a process split by thread kind, from `/proc/<pid>/task`
 * (Linux): where a role's CPU goes — its main thread (JavaScript), worker
 * threads (Web Workers, named `worker-N` by Deno), V8's helper threads
 * (garbage collection, compilation) and the runtime's I/O threads (tokio).
 *
 * @module
 */

/** CPU seconds by thread kind. */
export interface ThreadCpu {
  /** The process's main thread. */
  main: number;
  /** Web Worker threads, including those that exited since (their time stays in the process's). */
  workers: number;
  /** V8's platform threads (GC, concurrent compilation). */
  v8: number;
  /** Everything else (Deno's I/O runtime threads and its other helpers). */
  runtime: number;
}

const KINDS = ["main", "workers", "v8", "runtime"] as const;

/** utime + stime of a `/proc/.../stat` text, seconds. */
function statSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * One thread's minor page faults and system CPU seconds so far (`/proc/<pid>/task/<tid>/stat`;
 * zeros when gone): a heap or buffers growing onto fresh pages shows as both.
 */
export function faultsOf(pid: number, tid = pid): { faults: number; system: number } {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { faults: Number(fields[7]), system: Number(fields[12]) / 100 };
  } catch {
    return { faults: 0, system: 0 };
  }
}

/** One process's CPU by thread kind (zeros for a process that is gone). */
export function threadCpuOf(pid: number): ThreadCpu {
  const out: ThreadCpu = { main: 0, workers: 0, v8: 0, runtime: 0 };
  try {
    const total = statSeconds(Deno.readTextFileSync(`/proc/${pid}/stat`));
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      let stat: string;
      try {
        stat = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/stat`);
      } catch {
        continue; // exited meanwhile
      }
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const seconds = statSeconds(stat);
      if (Number(task.name) === pid) out.main += seconds;
      else if (name.startsWith("V8 ")) out.v8 += seconds;
      else if (!name.startsWith("worker-")) out.runtime += seconds;
    }
    // Worker threads (live or exited) are what the other kinds leave of the process's total.
    out.workers = Math.max(0, total - out.main - out.v8 - out.runtime);
  } catch {
    // Gone, or not Linux.
  }
  return out;
}

/** Several processes' CPU by thread kind, summed. */
export function threadCpuOfAll(pids: number[]): ThreadCpu {
  const sum: ThreadCpu = { main: 0, workers: 0, v8: 0, runtime: 0 };
  for (const pid of pids) {
    const one = threadCpuOf(pid);
    for (const k of KINDS) sum[k] += one[k];
  }
  return sum;
}

/**
 * CPU by thread kind from now on, in µs per event, for groups of processes.
 * The first group is read last at the start and first at the end, so the
 * cost of reading `/proc` (hundreds of worker threads) is charged to none
 * of it: list this process first.
 *
 * @example
 * ```ts
 * const split = threadCpuSplit({ host: [Deno.pid] });
 * // ... run 10,000 events ...
 * split.perEventUs(10_000); // { host: { main: 9.1, workers: 0, v8: 1.2, runtime: 0.8 } }
 * ```
 */
export function threadCpuSplit(groups: Record<string, number[]>): {
  perEventUs(events: number): Record<string, ThreadCpu>;
} {
  const before = Object.fromEntries(
    Object.entries(groups).reverse().map(([k, pids]) => [k, threadCpuOfAll(pids)]),
  );
  return {
    perEventUs: (events) =>
      Object.fromEntries(
        Object.entries(groups).map(([k, pids]) => {
          const now = threadCpuOfAll(pids);
          const us = { main: 0, workers: 0, v8: 0, runtime: 0 };
          for (const kind of KINDS) {
            us[kind] = Math.round(((now[kind] - before[k][kind]) / events) * 1e7) / 10;
          }
          return [k, us];
        }),
      ),
  };
}
