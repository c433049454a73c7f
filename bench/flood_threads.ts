/**
 * Where a storage flood's cost lands: a guild keeps 32 `kv.get` in flight
 * (its worker's limit) for seconds, and each thread of the host and of the
 * shared sandbox process is charged the CPU it used meanwhile (from
 * `/proc/<pid>/task/<tid>/stat`, so the figure is CPU time, not wall time,
 * and holds on a loaded machine). Run once with the host's storage budget
 * and once without, it shows what the budget takes off the threads every
 * neighbour shares (the host's event loop, its KV thread, the process's
 * relay thread).
 *
 * @module
 */

import { attackScript, HEALTHY, openArena } from "../tests/hostile/arena.ts";
import { round, sleep } from "./stats.ts";

/** CPU ms of each thread of a process, by `name#tid` (Linux). */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(`${name}#${entry.name}`, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch { /* the thread ended */ }
  }
  return out;
}

/** CPU ms per second of each thread that used any, busiest first, over `ms`. */
async function busyThreads(pid: number, ms: number): Promise<Record<string, number>> {
  const before = threadCpuMs(pid);
  const started = performance.now();
  await sleep(ms);
  const seconds = (performance.now() - started) / 1000;
  const used = [...threadCpuMs(pid)]
    .map(([thread, cpu]) => [thread.replace(/#\d+$/, ""), cpu - (before.get(thread) ?? 0)] as const)
    .filter(([, cpu]) => cpu > 0)
    .sort((a, b) => b[1] - a[1]);
  const out: Record<string, number> = {};
  for (const [name, cpu] of used) out[name] = round((out[name] ?? 0) + cpu / seconds, 0);
  return out;
}

/**
 * One guild's flood, measured over `ms`: storage calls served per second,
 * and CPU ms per second of each busy thread of the host and of the sandbox
 * process. `storagePerSecond` is the host's budget (a huge one: none).
 */
export async function floodThreads(storagePerSecond: number, ms = 4_000) {
  const arena = await openArena({
    FLORA_EVENT_TIMEOUT_MS: "60000",
    // 50,000 pending calls' promises and keys are the attacker's own memory: room for them.
    FLORA_GUILD_HEAP_MB: "1024",
    FLORA_SANDBOX_HEAP_MB: "1024",
    FLORA_GUILD_STORAGE_PER_SECOND: String(storagePerSecond),
  });
  try {
    const [hostile, neighbour] = arena.guilds;
    await arena.deploy(neighbour, HEALTHY);
    await arena.deploy(
      hostile,
      attackScript(
        `await Promise.all(Array.from({ length: 50000 }, (_, i) => kv("flood").get("k" + i)));`,
      ),
    );
    const sandboxPid = arena.flora.pool.pids()[hostile.process]!;
    const kvOps = () => arena.flora.metrics.usage.report(hostile.id).totals.kvOps;
    await arena.say(hostile, "!attack");
    await sleep(3_000); // the burst (two seconds of budget) is spent: the flood runs at its pace
    const before = kvOps();
    const started = performance.now();
    const [host, sandbox] = await Promise.all([
      busyThreads(Deno.pid, ms),
      busyThreads(sandboxPid, ms),
    ]);
    const served = (kvOps() - before) / ((performance.now() - started) / 1000);
    return {
      callsPerSecond: round(served, 0),
      hostCpuMsPerSecond: host,
      sandboxCpuMsPerSecond: sandbox,
    };
  } finally {
    await arena.close();
  }
}
