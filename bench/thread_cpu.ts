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

/**
 * A split's threads summed, to a tenth.
 *
 * @example
 * ```ts
 * threadCpuTotal({ main: 9.1, workers: 0, v8: 1.2, runtime: 0.8 }); // 11.1
 * ```
 */
export function threadCpuTotal(t: ThreadCpu): number {
  return Math.round((t.main + t.workers + t.v8 + t.runtime) * 10) / 10;
}

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

/**
 * CPU by thread kind from now on, in µs per event, for groups of processes.
 * The first group is read last at the start and first at the end, so the
 * cost of reading `/proc` (hundreds of worker threads) is charged to none
 * of it: list this process first. A process that exits meanwhile takes its
 * CPU with it: it is left out of both readings (never a negative figure) and
 * `gone` names it, so the caller can say its group's figure is incomplete.
 *
 * @example
 * ```ts
 * const split = threadCpuSplit({ host: [Deno.pid] });
 * // ... run 10,000 events ...
 * split.perEventUs(10_000); // { host: { main: 9.1, workers: 0, v8: 1.2, runtime: 0.8 } }
 * split.gone(); // {}: every process was there at both readings
 * ```
 */
export function threadCpuSplit(groups: Record<string, number[]>): {
  perEventUs(events: number): Record<string, ThreadCpu>;
  /** The processes of each group that had exited by the last `perEventUs` (groups with none left out). */
  gone(): Record<string, number[]>;
} {
  const alive = (pid: number) => {
    try {
      Deno.statSync(`/proc/${pid}/stat`);
      return true;
    } catch {
      return false;
    }
  };
  const before = new Map<number, ThreadCpu>();
  for (const [, pids] of Object.entries(groups).reverse()) {
    for (const pid of pids) before.set(pid, threadCpuOf(pid));
  }
  let gone: Record<string, number[]> = {};
  return {
    perEventUs: (events) => {
      gone = {};
      return Object.fromEntries(
        Object.entries(groups).map(([k, pids]) => {
          const us = { main: 0, workers: 0, v8: 0, runtime: 0 };
          for (const pid of pids) {
            const now = threadCpuOf(pid);
            if (!alive(pid)) {
              (gone[k] ??= []).push(pid);
              continue;
            }
            for (const kind of KINDS) us[kind] += now[kind] - before.get(pid)![kind];
          }
          for (const kind of KINDS) us[kind] = Math.round((us[kind] / events) * 1e7) / 10;
          return [k, us];
        }),
      );
    },
    gone: () => gone,
  };
}
