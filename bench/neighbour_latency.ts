/**
 * A healthy guild's reply latency beside a hostile one in the same sandbox
 * process, quiet and under attack, measured in alternating blocks (quiet,
 * attack, quiet, attack…) so that a change in the machine's load (other
 * processes on a shared machine) falls on both sides of the comparison. Each
 * comparison also records how much the attacker really did (its messages,
 * KV operations and restarts), so a quiet neighbour cannot be mistaken for
 * an attack that was not running.
 *
 * @module
 */

import type { BotAction } from "../emulator/mod.ts";
import type { Arena, ArenaGuild } from "../tests/hostile/arena.ts";
import { round, sleep, summarize, type Summary } from "./stats.ts";

/** Pings per block; a block of quiet and a block of attack make a round. */
const BLOCK = 5;

/** The emulator's last action seq seen (so polls never re-read the whole log). */
let cursor = 0;

/** The first bot message in the guild's channel after action `since` (short polls). */
async function nextReply(arena: Arena, guild: ArenaGuild, since: number): Promise<BotAction> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const batch = await arena.emu.actions({ since, waitMs: 50 });
    const reply = batch.find((a) =>
      a.route === "POST /channels/:id/messages" && a.channelId === guild.channelId
    );
    if (reply) return reply;
  }
  throw new Error(`no reply in guild ${guild.id}`);
}

/** Sends `content` and resolves with the ms until the bot's reply reached the emulator. */
export async function replyLatency(
  arena: Arena,
  guild: ArenaGuild,
  content: string,
): Promise<number> {
  const sentAt = Date.now();
  await arena.say(guild, content);
  const reply = await nextReply(arena, guild, cursor);
  cursor = reply.seq;
  return reply.at - sentAt;
}

/** Moves the cursor past every action so far (after a reply that may never come). */
export async function skipActions(arena: Arena): Promise<void> {
  cursor = (await arena.emu.actions()).at(-1)?.seq ?? 0;
}

/** `n` pings one after another; a ping never answered within 15 s counts as lost. */
async function pings(arena: Arena, guild: ArenaGuild, n: number) {
  const times: number[] = [];
  let lost = 0;
  await skipActions(arena);
  for (let i = 0; i < n; i++) {
    try {
      times.push(await replyLatency(arena, guild, "!ping"));
    } catch {
      lost++;
      await skipActions(arena);
    }
  }
  return { times, lost };
}

/** One side of the comparison. */
export interface Side extends Summary {
  lost: number;
}

/** The neighbour's latency quiet and under one attack, and what the attack did. */
export interface AttackComparison {
  quiet: Side;
  attack: Side;
  /** attack p50 / quiet p50, attack p99 / quiet p99 (issue 15: p99 ratio under 2). */
  ratio: { p50: number; p99: number };
  attacker: { messages: number; kvOps: number; restarts: number; processReplaced: boolean };
  /** The 1-minute load average before and after (a loaded machine distorts both sides alike). */
  load: [number, number];
}

/** The 1-minute load average (NaN where /proc is unreadable). */
export function loadAverage(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

/**
 * Measures `samples` neighbour pings quiet and `samples` under attack, in
 * alternating blocks; the attack is `command` sent to `hostile` every
 * `everyMs` throughout each attack block, then left to settle (`settleMs`)
 * before the next quiet block.
 */
export async function compareUnderAttack(
  arena: Arena,
  [hostile, neighbour]: [ArenaGuild, ArenaGuild],
  attack: { command: string; everyMs: number; settleMs: number },
  samples: number,
): Promise<AttackComparison> {
  const loadBefore = loadAverage();
  const pidBefore = arena.flora.pool.pids()[neighbour.process];
  const usage = () => arena.flora.metrics.usage.report(hostile.id).totals;
  const usageBefore = usage();
  const quiet = { times: [] as number[], lost: 0 };
  const attacked = { times: [] as number[], lost: 0 };
  let messages = 0;
  const pid = () => arena.flora.pool.pids()[neighbour.process];
  for (let done = 0; done < samples; done += BLOCK) {
    const n = Math.min(BLOCK, samples - done);
    const calm = await pings(arena, neighbour, n);
    quiet.times.push(...calm.times);
    quiet.lost += calm.lost;

    let attacking = true;
    const driver = (async () => {
      while (attacking) {
        await arena.say(hostile, attack.command);
        messages++;
        await sleep(attack.everyMs);
      }
    })();
    await sleep(Math.min(500, attack.everyMs));
    const during = await pings(arena, neighbour, n);
    attacked.times.push(...during.times);
    attacked.lost += during.lost;
    attacking = false;
    await driver;
    await sleep(attack.settleMs);
  }
  const side = (s: typeof quiet): Side => {
    const summary = summarize(s.times);
    return {
      p50: round(summary.p50, 1),
      p99: round(summary.p99, 1),
      n: summary.n,
      lost: s.lost,
    };
  };
  const q = side(quiet), a = side(attacked);
  const usageAfter = usage();
  return {
    quiet: q,
    attack: a,
    ratio: { p50: round(a.p50 / q.p50, 2), p99: round(a.p99 / q.p99, 2) },
    attacker: {
      messages,
      kvOps: usageAfter.kvOps - usageBefore.kvOps,
      restarts: usageAfter.restarts - usageBefore.restarts,
      processReplaced: pid() !== pidBefore,
    },
    load: [loadBefore, loadAverage()],
  };
}
