/**
 * A V8 CPU profile and an allocation profile of this process over one phase
 * of a benchmark, through the inspector protocol (`node:inspector`), written
 * as a `.cpuprofile` and a `.heapprofile`.
 *
 * @module
 */

import { Session } from "node:inspector";

/**
 * Starts and stops profiling this process; each stop writes `DIR/NAME.cpuprofile` and
 * `DIR/NAME.heapprofile` (what was allocated where, collected or not: sampled every 4 KiB).
 */
export function phaseProfiler(dir: string): {
  start(): Promise<void>;
  stop(name: string): Promise<void>;
} {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) =>
      session.post(
        method,
        params,
        (error: Error | null, result?: object) => error ? reject(error) : resolve(result as T),
      )
    );
  return {
    async start() {
      await post("Profiler.enable");
      await post("Profiler.setSamplingInterval", { interval: 1_000 });
      await post("Profiler.start");
      await post("HeapProfiler.startSampling", {
        samplingInterval: 4_096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    },
    async stop(name) {
      const { profile } = await post<{ profile: unknown }>("Profiler.stop");
      await Deno.writeTextFile(`${dir}/${name}.cpuprofile`, JSON.stringify(profile));
      const heap = await post<{ profile: unknown }>("HeapProfiler.stopSampling");
      await Deno.writeTextFile(`${dir}/${name}.heapprofile`, JSON.stringify(heap.profile));
    },
  };
}
