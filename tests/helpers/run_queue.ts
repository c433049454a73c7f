/**
 * How long a process waited for a CPU: Linux's per-thread scheduler
 * statistics (`/proc/<pid>/task/<tid>/schedstat`: time on a CPU, time
 * runnable but waiting in the run queue). A test whose bound is wall-clock
 * time reads them to tell a slow product from a machine that did not run it.
 *
 * @module
 */

/** Time on a CPU and time waiting for one, ms, since the thread started. */
export interface Schedule {
  cpuMs: number;
  waitMs: number;
}

/** One thread's schedule (the main thread: `tid` = `pid`), or null once it is gone. */
export function threadSchedule(pid: number, tid = pid): Schedule | null {
  try {
    const [cpu, wait] = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/schedstat`).split(" ");
    return { cpuMs: Number(cpu) / 1e6, waitMs: Number(wait) / 1e6 };
  } catch {
    return null;
  }
}

/** What a thread did between two readings, ms. */
export function scheduleSince(before: Schedule, after: Schedule): Schedule {
  return { cpuMs: after.cpuMs - before.cpuMs, waitMs: after.waitMs - before.waitMs };
}
