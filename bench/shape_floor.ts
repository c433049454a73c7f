/**
 * The floor under flora's shape: the plain bot's gateway, with each guild's
 * events handed to a Web Worker of that guild's own (no permissions) and
 * none of flora's code. The host routes each dispatch from its frame and
 * posts the frame's text (flora's cheapest path: no parse, no clone of an
 * object); one batch is in flight per worker, and what arrives meanwhile
 * goes in its next batch when it answers (as flora's host does); the worker
 * parses each event and answers a `!ping` through the host, as the plain
 * bot's handler does. No socket hop, no sandbox process, no protocol, no
 * watchdog, no metrics, no hold: what a worker per guild costs at the
 * batches that come of themselves. (flora can spend less per event in the
 * workers' threads, by holding events for bigger batches, and in the host,
 * by writing batches to two sandbox processes rather than posting to a
 * thousand workers from one thread.)
 *
 * The workers live in this process and are stopped after the run (a
 * thousand of them hold ≈ 5.5 GiB).
 *
 * @module
 */

import type { EmulatorProcess } from "./emulator_process.ts";
import { deadline } from "./stats.ts";
import { type ThreadCpu, threadCpuSplit } from "./thread_cpu.ts";
import { type BenchGuild, inject, spread } from "../emulator/bench_world.ts";
import { createGateway, stopGateway } from "../runtime/host/gateway.ts";

/** What the floor measured. */
export interface ShapeFloorResult {
  eventsPerSec: number;
  /** The machine's load average at the round's start. */
  load: string;
  /** Events per batch posted to a worker (each batch wakes its thread once). */
  perBatch: number;
  /** CPU per event by role and thread kind: the emulator, and this process (the host and its workers). */
  threadCpuUsPerEvent: Record<string, ThreadCpu>;
}

/**
 * A floor round's CPU by flora's roles: its guild workers' threads are the sandboxes, the rest
 * of this process (the bot, V8's helpers, I/O) the host.
 *
 * @example
 * ```ts
 * const [round] = await runShapeFloor(emu, guilds, 100_000, 1);
 * floorRoles(round.threadCpuUsPerEvent).sandboxes.workers; // µs an event on the workers' threads
 * ```
 */
export function floorRoles(cpu: Record<string, ThreadCpu>): Record<string, ThreadCpu> {
  const { main, workers, v8, runtime } = cpu.host;
  return {
    emulator: cpu.emulator,
    host: { main, workers: 0, v8, runtime },
    sandboxes: { main: 0, workers, v8: 0, runtime: 0 },
  };
}

/** A guild worker's code: parse each event, answer `!ping`, report the batch done. */
const WORKER_CODE = `
onmessage = (event) => {
  const frames = event.data;
  for (let i = 0; i < frames.length; i++) {
    const d = JSON.parse(frames[i]).d;
    if (d.content === "!ping") postMessage({ reply: d.channel_id, to: d.id });
  }
  postMessage(frames.length);
};
`;

/** One guild's worker and the frames waiting for its next batch. */
interface GuildLane {
  worker: Worker;
  busy: boolean;
  waiting: string[];
}

/** Starts a worker per guild, runs `rounds` bursts of `events` through the emulator, stops them. */
export async function runShapeFloor(
  emu: EmulatorProcess,
  guilds: BenchGuild[],
  events: number,
  rounds: number,
): Promise<ShapeFloorResult[]> {
  /** Events and batches the workers finished, and what the current wait needs of them. */
  let done = 0;
  let answered = 0;
  let wanted = { events: Infinity, batches: Infinity, reached: () => {} };
  const until = (events: number, batches: number) =>
    new Promise<void>((reached) => (wanted = { events, batches, reached }));
  let batches = 0;
  const url = URL.createObjectURL(new Blob([WORKER_CODE], { type: "text/javascript" }));
  const lanes = new Map<string, GuildLane>();
  const post = (lane: GuildLane, frames: string[]) => {
    lane.busy = true;
    batches++;
    lane.worker.postMessage(frames);
  };
  const bot = createGateway({
    token: emu.token,
    restBase: emu.restBase,
    onPayload: () => {},
    onFrame: (route, _shard, frame) => {
      const lane = route.t === "MESSAGE_CREATE" && route.guildId !== undefined
        ? lanes.get(route.guildId)
        : undefined;
      if (!lane) return false;
      if (lane.busy) lane.waiting.push(frame);
      else post(lane, [frame]);
      return true;
    },
  });
  for (const guild of guilds) {
    const worker = new Worker(url, { type: "module", deno: { permissions: "none" } });
    const lane: GuildLane = { worker, busy: false, waiting: [] };
    worker.onmessage = (event: MessageEvent<number | { reply: string; to: string }>) => {
      const m = event.data;
      if (typeof m !== "number") {
        bot.rest.sendMessage(m.reply, {
          content: "pong",
          messageReference: { messageId: m.to, failIfNotExists: false },
        }).catch(() => {});
        return;
      }
      lane.busy = false;
      done += m;
      answered++;
      if (lane.waiting.length > 0) post(lane, lane.waiting.splice(0));
      if (done >= wanted.events && answered >= wanted.batches) wanted.reached();
    };
    lanes.set(guild.id, lane);
  }
  try {
    // Every worker started and its code run once before anything is measured (a start costs
    // its thread ≈ 30 ms; flora's rounds come after a warm-up too).
    const warm = until(0, guilds.length);
    for (const lane of lanes.values()) post(lane, []);
    await deadline(warm, 120_000, "the shape floor's workers to start");
    await bot.start();
    const results: ShapeFloorResult[] = [];
    for (let r = 0; r < rounds; r++) {
      const load = Deno.loadavg()[0].toFixed(1);
      const threads = threadCpuSplit({ emulator: [emu.pid], host: [Deno.pid] });
      const batchesBefore = batches;
      const finished = until(done + events, 0);
      const start = performance.now();
      await inject(emu.url, spread(guilds, events, "hello"));
      await deadline(finished, 120_000, "the shape floor's events");
      results.push({
        load,
        eventsPerSec: Math.round(events / ((performance.now() - start) / 1000)),
        perBatch: Math.round(events / (batches - batchesBefore) * 100) / 100,
        threadCpuUsPerEvent: threads.perEventUs(events),
      });
    }
    return results;
  } finally {
    await stopGateway(bot, Promise.resolve()); // its start was awaited, or never made
    for (const lane of lanes.values()) lane.worker.terminate();
    URL.revokeObjectURL(url);
  }
}
