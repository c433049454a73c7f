/**
 * Lowering a sandbox process's priority, every thread of it. On Linux a
 * niceness belongs to a thread, and a new thread takes its creator's: setting
 * the process's main thread right after the spawn usually comes before the
 * child starts V8's and the I/O runtime's threads, but on a loaded host it
 * may not, and those threads would stay at the host's priority.
 *
 * @module
 */

import { setPriority } from "node:os";
import { threadFiles } from "./proc_threads.ts";

/**
 * Sets niceness `nice` on process `pid`'s main thread and, where `/proc`
 * lists them (Linux), on each of its threads already started. Threads started
 * later inherit it from their creator.
 *
 * @example
 * ```ts
 * const args = ["eval", "setTimeout(() => {}, 1000)"];
 * const child = new Deno.Command(Deno.execPath(), { args }).spawn();
 * lowerPriority(child.pid, 10); // the child and each thread it has started: niceness 10
 * await child.status;
 * ```
 */
export function lowerPriority(pid: number, nice: number): void {
  setPriority(pid, nice);
  let tasks: Iterable<Deno.DirEntry>;
  try {
    tasks = Deno.readDirSync(`/proc/${pid}/task`);
  } catch {
    return; // no /proc (not Linux), or the process has exited: nothing more to set
  }
  for (const task of tasks) {
    const tid = Number(task.name);
    if (tid === pid) continue;
    try {
      setPriority(tid, nice);
    } catch {
      // The thread ended between the listing and now.
    }
  }
}

/**
 * Each thread of process `pid`, by name, with its niceness, from `/proc`
 * (Linux only): what an operator or a test checks {@linkcode lowerPriority} by.
 *
 * @example
 * ```ts
 * const threads = await threadNiceness(Deno.pid);
 * threads[0].name; // "deno": the main thread comes first
 * ```
 */
export async function threadNiceness(pid: number): Promise<{ name: string; nice: number }[]> {
  const threads = [];
  for await (const stat of threadFiles(pid, "stat")) {
    // "tid (comm) state ppid …": comm may hold spaces and parentheses; niceness is field 19.
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    threads.push({ name: stat.slice(stat.indexOf("(") + 1, close), nice: Number(fields[16]) });
  }
  return threads;
}
