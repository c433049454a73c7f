/**
 * Which CPUs the sandbox processes run on, and keeping the host off them
 * (`FLORA_SANDBOX_CPUS`). On a machine where the host and a thousand worker
 * threads share every core, each preempts the other mid-run and evicts its
 * caches: at 1,000 guilds on two cores, the sandboxes on one core and the
 * host with the emulator on the other spent 30 % less sandbox CPU an event
 * (medians 75 against 108 µs) and handled 12 % more events a second under a
 * sustained burst, 11 % fewer in the first round after a warm-up, when every
 * isolate compiles its handler on the sandboxes' one core (`docs/operations.md`,
 * "Sandboxes on CPUs of their own").
 *
 * Linux only, through util-linux's `taskset` (Deno has no affinity call): a
 * sandbox process is started under it, so every thread it ever starts
 * inherits the CPUs; the host moves each of its own threads with `taskset -a -p`.
 *
 * @module
 */

import { threadFiles } from "./proc_threads.ts";

/** Why a CPU list or the machine cannot pin: the operator's setting is wrong or cannot work here. */
export class CpuAffinityError extends Error {}

/** The most CPUs a list may name; a list past it is a typo, not a machine. */
const MAX_CPU = 4095;

/**
 * The CPUs a list names, sorted, each once: `taskset`'s and the kernel's syntax, numbers and
 * ranges separated by commas (`"1"`, `"2-7"`, `"0,2,4-6"`).
 *
 * @example
 * ```ts
 * parseCpuList("0,2,4-6"); // [0, 2, 4, 5, 6]
 * parseCpuList("3-1"); // throws CpuAffinityError
 * ```
 */
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  const parts = text.trim().split(",");
  for (const part of parts) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) {
      throw new CpuAffinityError(
        `"${text}" is not a CPU list: write CPU numbers and ranges separated by commas, e.g. "1" or "2-7" or "0,2,4-6"`,
      );
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) {
      throw new CpuAffinityError(
        `"${part.trim()}" in "${text}" is a range that ends before it starts`,
      );
    }
    if (last > MAX_CPU) {
      throw new CpuAffinityError(
        `CPU ${last} in "${text}" is past the largest CPU number (${MAX_CPU})`,
      );
    }
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/**
 * A CPU list in its shortest form, for `taskset` and for messages.
 *
 * @example
 * ```ts
 * cpuListText([0, 2, 4, 5, 6]); // "0,2,4-6"
 * ```
 */
export function cpuListText(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; i++) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    parts.push(j === i ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j;
  }
  return parts.join(",");
}

/**
 * The CPUs process `pid` may run on (`Cpus_allowed_list` in `/proc/<pid>/status`); null
 * where there is no `/proc` (not Linux).
 *
 * @example
 * ```ts
 * allowedCpus(); // e.g. [0, 1]
 * ```
 */
export function allowedCpus(pid: number | "self" = "self"): number[] | null {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return null;
  }
  const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(status);
  return line ? parseCpuList(line[1]) : null;
}

/**
 * The CPUs this process could use when a placement was first checked: before the host moved
 * itself off the sandboxes' (`pinProcess`), so a placement checked again later in the same
 * process (a restart, a bench) is checked against the machine, not the host's share of it.
 * Read on first use, not at import: the CLI imports this without a right to read `/proc`.
 */
let startingCpus: number[] | null | undefined;

/** Where `taskset` is, from `PATH`; null when it is not there. */
function findTaskset(path = Deno.env.get("PATH") ?? ""): string | null {
  for (const dir of path.split(":")) {
    if (!dir) continue;
    try {
      const file = `${dir}/taskset`;
      if (Deno.statSync(file).isFile) return file;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** A checked placement: the sandboxes' CPUs, the host's, and the `taskset` that sets them. */
export interface CpuPlacement {
  /** The CPUs every sandbox process runs on. */
  sandboxes: number[];
  /** The CPUs the host keeps to: the ones it may use that are not the sandboxes'; empty when none are left. */
  host: number[];
  /** `taskset`'s absolute path (the sandbox processes start with an empty environment). */
  taskset: string;
}

/**
 * Checks `FLORA_SANDBOX_CPUS` against this machine: a valid list, Linux with `taskset`,
 * and only CPUs this process could use when it started (a list outside them, in a container
 * limited to some CPUs, would start no process).
 *
 * @example
 * ```ts
 * placeSandboxes("1"); // { sandboxes: [1], host: [0], taskset: "/usr/bin/taskset" } on two CPUs
 * ```
 */
export function placeSandboxes(list: string): CpuPlacement {
  const sandboxes = parseCpuList(list);
  const allowed = startingCpus === undefined ? (startingCpus = allowedCpus()) : startingCpus;
  if (allowed === null) {
    throw new CpuAffinityError(
      "placing the sandboxes on CPUs needs Linux (CPU affinity is read from /proc and set with taskset)",
    );
  }
  const outside = sandboxes.filter((cpu) => !allowed.includes(cpu));
  if (outside.length > 0) {
    throw new CpuAffinityError(
      `"${list}" names CPU ${cpuListText(outside)}, which flora may not use here: ` +
        `it may use CPUs ${cpuListText(allowed)}`,
    );
  }
  const taskset = findTaskset();
  if (taskset === null) {
    throw new CpuAffinityError(
      "placing the sandboxes on CPUs needs the taskset command (Debian and Ubuntu: apt install util-linux)",
    );
  }
  return { sandboxes, host: allowed.filter((cpu) => !sandboxes.includes(cpu)), taskset };
}

/**
 * The command and arguments that start `command args` on `cpus` (every thread it starts
 * inherits them).
 *
 * @example
 * ```ts
 * pinnedCommand("/usr/bin/taskset", [1], "/usr/bin/deno", ["run", "x.ts"]);
 * // ["/usr/bin/taskset", ["-c", "1", "/usr/bin/deno", "run", "x.ts"]]
 * ```
 */
export function pinnedCommand(
  taskset: string,
  cpus: readonly number[],
  command: string,
  args: readonly string[],
): [string, string[]] {
  return [taskset, ["-c", cpuListText(cpus), command, ...args]];
}

/**
 * Moves every thread of process `pid` onto `cpus` (threads it starts later inherit them
 * from their creator).
 *
 * @example
 * ```ts
 * await pinProcess("/usr/bin/taskset", Deno.pid, [0]); // the host keeps to CPU 0
 * ```
 */
export async function pinProcess(
  taskset: string,
  pid: number,
  cpus: readonly number[],
): Promise<void> {
  const { success, stderr } = await new Deno.Command(taskset, {
    args: ["-a", "-p", "-c", cpuListText(cpus), String(pid)],
    stdout: "null",
    stderr: "piped",
  }).output();
  const failed = (why: string) =>
    new CpuAffinityError(
      `taskset could not move process ${pid} to CPUs ${cpuListText(cpus)}: ${why}`,
    );
  if (!success) throw failed(new TextDecoder().decode(stderr).trim());
  // `taskset -a` walks /proc/<pid>/task and succeeds on a process that is not there: look.
  const now = allowedCpus(pid);
  if (now === null) throw failed("no such process");
  if (now.join() !== [...cpus].sort((a, b) => a - b).join()) {
    throw failed(`its main thread may still run on CPUs ${cpuListText(now)}`);
  }
}

/**
 * Each thread of process `pid`, by name, with the CPUs it may run on, from `/proc` (Linux
 * only): what an operator or a test checks a placement by.
 *
 * @example
 * ```ts
 * const threads = await threadCpus(Deno.pid);
 * threads[0].cpus; // e.g. [0, 1]
 * ```
 */
export async function threadCpus(pid: number): Promise<{ name: string; cpus: number[] }[]> {
  const threads = [];
  for await (const status of threadFiles(pid, "status")) {
    const name = /^Name:\s*(.*)$/m.exec(status)?.[1] ?? "";
    const list = /^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1] ?? "";
    threads.push({ name, cpus: parseCpuList(list) });
  }
  return threads;
}
