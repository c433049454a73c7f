/**
 * The baseline: one plain Discordeno bot in this process, no sandbox, with
 * the same handler flora's scripts run (`!ping` → reply "pong"; anything
 * else → nothing), against the same emulator.
 *
 * @module
 */

import { createBot, GatewayIntents } from "@discordeno/bot";
import type { EmulatorProcess } from "./emulator_process.ts";
import { stopGateway } from "../runtime/host/gateway.ts";
import { cpuSplit, deadline, summarize, type Summary } from "./stats.ts";
import { type ThreadCpu, threadCpuSplit } from "./thread_cpu.ts";
import { type BenchGuild, inject, replyLatencies, spread } from "../emulator/bench_world.ts";

/** What the plain bot measured. */
export interface PlainBotResult {
  eventsPerSec: number;
  events: number;
  replyMs: Summary;
  /** CPU per event during the throughput run, µs: the emulator's process and this one. */
  cpuUsPerEvent: Record<string, number>;
  /** The same by thread kind (`thread_cpu.ts`). */
  threadCpuUsPerEvent: Record<string, ThreadCpu>;
}

/** Runs the plain-bot baseline over the given guilds. */
export async function runPlainBot(
  emu: EmulatorProcess,
  guilds: BenchGuild[],
  events: number,
  replies: number,
): Promise<PlainBotResult> {
  let seen = 0;
  let allSeen = () => {};
  const bot = createBot({
    token: emu.token,
    intents: GatewayIntents.Guilds | GatewayIntents.GuildMessages | GatewayIntents.MessageContent,
    rest: { proxy: { baseUrl: emu.restBase, authorization: `Bot ${emu.token}` } },
    gateway: {
      events: {
        message: (_shard, payload) => {
          if (payload.t !== "MESSAGE_CREATE") return;
          if (++seen === events) allSeen();
          const d = payload.d as { id: string; channel_id: string; content: string };
          if (d.content === "!ping") {
            bot.rest.sendMessage(d.channel_id, {
              content: "pong",
              messageReference: { messageId: d.id, failIfNotExists: false },
            }).catch(() => {});
          }
        },
      },
    },
  });
  bot.rest.isProxied = false;
  await bot.start();
  try {
    const cpu = cpuSplit({ emulator: [emu.pid], host: [Deno.pid] });
    const threads = threadCpuSplit({ emulator: [emu.pid], host: [Deno.pid] });
    const start = performance.now();
    // Resolved by the handler, not polled: a timer would add the bench's own CPU to the bot's.
    const done = new Promise<void>((resolve) => (allSeen = resolve));
    await inject(emu.url, spread(guilds, events, "hello"));
    await deadline(done, 120_000, "the plain bot's events");
    const eventsPerSec = Math.round(events / ((performance.now() - start) / 1000));
    const cpuUsPerEvent = cpu.perEventUs(events);
    const threadCpuUsPerEvent = threads.perEventUs(events);
    const latencies = await replyLatencies(emu.url, spread(guilds, replies, "!ping"));
    return {
      eventsPerSec,
      events,
      replyMs: summarize(latencies),
      cpuUsPerEvent,
      threadCpuUsPerEvent,
    };
  } finally {
    await stopGateway(bot, Promise.resolve()); // its start was awaited
  }
}
