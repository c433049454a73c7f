/**
 * `deno task bench:soak`: do the sandbox processes' memory level off under a
 * long load, and is it returned when idle? Sends rounds of `!ping` messages
 * (each answered) to a few guilds through the emulator (its own process),
 * and prints the sandbox processes' RSS after each round and after an idle
 * pause. `--rounds=N` (default 8), `--per-round=N` (default 5,000),
 * `--reducer` turns V8's memory reducer on in the sandbox processes, `--semi-space=MB` caps
 * each worker's young generation (`FLORA_SANDBOX_SEMI_SPACE_MB`).
 * CPU-heavy: not part of `deno task bench` nor of CI.
 *
 * @module
 */

import { startEmulatorProcess } from "./emulator_process.ts";
import { type BenchFlora, register, sandboxRss, startBenchFlora, warm } from "./flora_bench.ts";
import { mib, sleep, until } from "./stats.ts";
import { createGuilds, inject, spread } from "./world.ts";

function flag(name: string, fallback: number): number {
  const raw = Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  return raw === undefined ? fallback : Number(raw);
}

const rounds = flag("rounds", 8);
const perRound = flag("per-round", 5_000);
const reducer = Deno.args.includes("--reducer");
const semiSpace = flag("semi-space", 0);
const GUILDS = 50;

const emu = await startEmulatorProcess();
let bench: BenchFlora | null = null;
try {
  await emu.client.setRateLimits({ enabled: false });
  const guilds = await createGuilds(emu.client, GUILDS);
  bench = await startBenchFlora(emu, 100, {
    ...(reducer ? { FLORA_SANDBOX_MEMORY_REDUCER: "1" } : {}),
    ...(semiSpace > 0 ? { FLORA_SANDBOX_SEMI_SPACE_MB: String(semiSpace) } : {}),
  });
  register(bench, guilds.map((g) => g.id));
  await warm(bench, emu, guilds);
  const active = bench;
  const rows: { messages: number; rssMiB: number }[] = [{
    messages: 0,
    rssMiB: mib(sandboxRss(active)),
  }];
  for (let round = 1; round <= rounds; round++) {
    const target = active.handled() + perRound;
    await inject(emu.url, spread(guilds, perRound, "!ping"));
    await until(() => active.handled() >= target, 600_000, `round ${round}`, 20);
    // Let the replies drain before sampling.
    await sleep(1_000);
    rows.push({ messages: round * perRound, rssMiB: mib(sandboxRss(active)) });
    console.log(`after ${round * perRound} messages: sandbox processes ${rows.at(-1)!.rssMiB} MiB`);
  }
  await sleep(15_000);
  const idle = mib(sandboxRss(active));
  console.log(`after 15 s idle: sandbox processes ${idle} MiB`);
  console.log(
    JSON.stringify({ reducer, semiSpace, guilds: GUILDS, perRound, rows, idleMiB: idle }),
  );
} finally {
  await bench?.close();
  await emu.close();
}
