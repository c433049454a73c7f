/**
 * Small helpers for the benchmark: percentiles, memory readings, timing.
 *
 * @module
 */

/** p-th percentile (0–100) of the samples, nearest-rank; NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50 and p99 of samples, with the sample count. */
export interface Summary {
  p50: number;
  p99: number;
  n: number;
}

/** Summarises samples (same unit in, same unit out). */
export function summarize(samples: readonly number[]): Summary {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n: samples.length };
}

/** Resident set size of a process in bytes, from /proc (Linux); NaN elsewhere. */
export function rssOf(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Waits until `check` holds, polling every `everyMs`; throws after `timeoutMs`. */
export async function until(
  check: () => boolean,
  timeoutMs: number,
  what: string,
  everyMs = 5,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `promise`, or an error after `timeoutMs`. */
export async function deadline<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Bytes as MiB with one decimal. */
export const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** A number rounded to `digits` decimals. */
export const round = (value: number, digits = 3) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** CPU time (user + system) a process has used, in seconds, from /proc (Linux); NaN elsewhere. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) several processes have used together, in seconds. */
export function cpuSecondsOfAll(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
}

/**
 * CPU time of groups of processes from now on, in µs per event: where the
 * machine's cores went during a run (the bench's processes share them).
 *
 * @example
 * ```ts
 * const cpu = cpuSplit({ emulator: [emu.pid], host: [Deno.pid] });
 * // ... run 10,000 events ...
 * cpu.perEventUs(10_000); // { emulator: 21.4, host: 8.2 }
 * ```
 */
export function cpuSplit(groups: Record<string, number[]>): {
  perEventUs(events: number): Record<string, number>;
} {
  const before = Object.fromEntries(
    Object.entries(groups).map(([k, pids]) => [k, cpuSecondsOfAll(pids)]),
  );
  return {
    perEventUs: (events) =>
      Object.fromEntries(
        Object.entries(groups).map((
          [k, pids],
        ) => [k, round(((cpuSecondsOfAll(pids) - before[k]) / events) * 1e6, 1)]),
      ),
  };
}

/** Left-aligned columns, two spaces apart; the first row is the header. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ")).join("\n");
}

/** A process and all its descendants (e.g. flora and its sandbox processes), from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      // Field 4 (ppid) is the second after the command name.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch { /* exited meanwhile */ }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** Ids of running processes whose command name is `name` (e.g. "nats-server"), from /proc. */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${pid}/comm`).trim() === name) pids.push(pid);
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

/** The machine and its load over a run: figures taken under load need saying so. */
export function machineLine(loadBefore: number[]): string {
  return `machine: ${navigator.hardwareConcurrency} CPUs, load average ${
    loadBefore[0].toFixed(1)
  } at start, ${Deno.loadavg()[0].toFixed(1)} at end (other processes share the CPUs)`;
}
