/**
 * A benchmark's Discord world in the emulator: many guilds (created
 * through the control API, as Discord would announce them), and bulk
 * message injection through the emulator's bench routes.
 *
 * @module
 */

import type { BenchMessage, BenchReplies } from "./bench_control.ts";
import type { EmulatorClient } from "./client.ts";
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A guild as the benchmark uses it: where to post, as whom. */
export interface BenchGuild {
  id: string;
  channels: string[];
  userId: string;
}

/** Creates `count` guilds, each with `channels` text channels. */
export async function createGuilds(
  client: EmulatorClient,
  count: number,
  channels = 1,
  concurrency = 16,
): Promise<BenchGuild[]> {
  const names = Array.from({ length: channels }, (_, i) => `c${i}`);
  const out: BenchGuild[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const g = await client.createGuild({ name: `bench ${i}`, channels: names });
      out[i] = {
        id: g.id,
        channels: g.channels.filter((c) => c.type === 0).map((c) => c.id),
        userId: g.ownerId,
      };
    }
  }));
  return out;
}

/** `count` messages spread round-robin over the guilds (and their channels). */
export function spread(guilds: BenchGuild[], count: number, content: string): BenchMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const g = guilds[i % guilds.length];
    const channelId = g.channels[Math.floor(i / guilds.length) % g.channels.length];
    return { guildId: g.id, channelId, userId: g.userId, content };
  });
}

/** Posts messages through the emulator's bulk route, `batch` per request. */
export async function inject(
  emulatorUrl: string,
  messages: BenchMessage[],
  options: { track?: boolean; batch?: number } = {},
): Promise<void> {
  const batch = options.batch ?? 5_000;
  for (let i = 0; i < messages.length; i += batch) {
    const response = await fetch(`${emulatorUrl}/_emulator/bench/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: messages.slice(i, i + batch), track: options.track }),
    });
    if (!response.ok) throw new Error(`bulk inject failed: ${await response.text()}`);
    await response.body?.cancel();
  }
}

/**
 * Reply latency: posts tracked `!ping`s one at a time, `gapMs` apart (under
 * Discord's global 50 requests/s), then reads the emulator's measurements.
 */
export async function replyLatencies(
  emulatorUrl: string,
  messages: BenchMessage[],
  gapMs = 30,
): Promise<number[]> {
  await fetch(`${emulatorUrl}/_emulator/bench/reset`, { method: "POST" }).then((r) =>
    r.body?.cancel()
  );
  for (const message of messages) {
    await inject(emulatorUrl, [message], { track: true });
    await sleep(gapMs);
  }
  const deadline = Date.now() + 10_000;
  while (true) {
    const replies = await fetch(`${emulatorUrl}/_emulator/bench/replies`)
      .then((r) => r.json()) as BenchReplies;
    if (replies.pending === 0 || Date.now() > deadline) return replies.latenciesMs;
    await sleep(50);
  }
}
