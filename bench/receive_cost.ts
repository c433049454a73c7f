/**
 * `deno task bench:receive`: the host's gateway receive path alone — the CPU
 * of this process's main thread per `MESSAGE_CREATE` from the emulator (its
 * own process), with each dispatch parsed by Discordeno (`onPayload`, as the
 * plain bot and flora's other dispatches) against routed from its frame
 * (`onFrame`, `frame_route.ts`). Nothing is queued or sent on, so what
 * differs is the receive path only; rounds alternate between the two, and
 * CPU time is read from `/proc`, so the figures hold on a busy machine.
 *
 * Flags: `--events=N` per round (50,000), `--pairs=N` (3), `--guilds=N` (200).
 *
 * @module
 */

import { startEmulatorProcess } from "./emulator_process.ts";
import { threadCpuOf } from "./thread_cpu.ts";
import { round } from "./stats.ts";
import { createGateway } from "../runtime/host/gateway.ts";
import { type BenchGuild, createGuilds, inject, spread } from "../emulator/bench_world.ts";

const flag = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const EVENTS = Number(flag("events") ?? 50_000);
const PAIRS = Number(flag("pairs") ?? 3);
const GUILDS = Number(flag("guilds") ?? 200);

type Mode = "parse" | "frame";

const emu = await startEmulatorProcess();
try {
  const guilds = await createGuilds(emu.client, GUILDS);
  const results: Record<Mode, number[]> = { parse: [], frame: [] };
  for (let pair = 0; pair < PAIRS; pair++) {
    for (const mode of ["parse", "frame"] as const) {
      results[mode].push(await receive(mode, guilds));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`main thread CPU µs per MESSAGE_CREATE received (${EVENTS} a round, alternating):`);
  for (const mode of ["parse", "frame"] as const) {
    console.log(`${mode}: ${results[mode].join(", ")} (median ${median(results[mode])})`);
  }
} finally {
  await emu.close();
}

/** One round: a gateway receives EVENTS messages; its main thread's CPU per event, µs. */
async function receive(mode: Mode, guilds: BenchGuild[]): Promise<number> {
  const ids = new Set(guilds.map((g) => g.id));
  let seen = 0;
  let allSeen = () => {};
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  const count = (guildId: unknown) => {
    if (typeof guildId === "string" && ids.has(guildId) && ++seen === EVENTS) allSeen();
  };
  const bot = createGateway({
    token: emu.token,
    restBase: emu.restBase,
    spawnShardDelay: 0,
    onPayload: (payload) => {
      if (payload.t === "MESSAGE_CREATE") count((payload.d as { guild_id?: unknown }).guild_id);
    },
    onFrame: mode === "frame"
      ? (route) => route.t === "MESSAGE_CREATE" && (count(route.guildId), true)
      : undefined,
  });
  await bot.start();
  try {
    const before = threadCpuOf(Deno.pid).main;
    await inject(emu.url, spread(guilds, EVENTS, "hello there"));
    await done;
    const us = round((threadCpuOf(Deno.pid).main - before) / EVENTS * 1e6, 2);
    console.error(`[receive] ${mode} ${us} µs (load average ${Deno.loadavg()[0].toFixed(1)})`);
    return us;
  } finally {
    await bot.shutdown();
  }
}
