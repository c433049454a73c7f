/**
 * `deno run -A bench/call_path.ts [--rounds=N]`: the host's path for a guild's
 * mutating call (`GuildCalls.script`) without Discord: an executor that
 * answers at once stands for the REST layer, a journal that stores nothing
 * for PostgreSQL. Per mode, the µs of one call from the script's call to its
 * answer (sequential calls, so CPU on an idle loop), and the µs from the call
 * to the executor starting it (what a reply waits before its request leaves):
 *
 * - `single`: a single process's call (no tenure: neither fenced nor journaled);
 * - `cron`: a cron or task run's call (fenced, not journaled);
 * - `no event`: a call a worker makes for no event, e.g. from a timer that
 *   outlived its handler (fenced by its latest event's tenure, `stray_calls.ts`);
 * - `bus, first delivery`: a bus event's call (fenced, journaled), the event
 *   new to the cluster (no journal read);
 * - `bus, redelivered`: the same for an event that may have run before (one
 *   journal read per run, here answered at once with nothing recorded).
 *
 * Each "event" makes one reply (`message.send` with a `message_reference`, as
 * `!ping` does) and is marked handled after it, as the runtime does.
 *
 * @module
 */

import { EffectJournaling } from "../runtime/host/effect_journaling.ts";
import { GuildCalls } from "../runtime/host/guild_calls.ts";
import type { Handover, QueuedEvent } from "../runtime/host/guild_queue.ts";
import { MemoryLogBuffer } from "../runtime/host/logs.ts";
import type { OperationExecutor } from "../runtime/host/manager_hooks.ts";
import { FloraMetrics } from "../runtime/host/metrics.ts";
import { GuildWorker } from "../runtime/host/guild_worker.ts";
import { strayTenure } from "../runtime/host/stray_calls.ts";
import type { EffectJournal } from "../storage/effect_journal.ts";

const rounds = Number(Deno.args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 5);
const CALLS = 20_000;

let startedAt = 0;
const executor = {
  execute: () => {
    startedAt = performance.now();
    return Promise.resolve({ id: "1", content: "pong" });
  },
} as unknown as OperationExecutor;
const journal: EffectJournal = {
  recorded: () => Promise.resolve(new Map()),
  record: (steps) => Promise.resolve(steps.length),
  forget: (events) => Promise.resolve(events.length),
  prune: () => Promise.resolve(0),
};
const effects = new EffectJournaling(journal, { kvJoins: true });
const single = new GuildCalls(executor, new MemoryLogBuffer(), new FloraMetrics(), {});
const cluster = new GuildCalls(executor, new MemoryLogBuffer(), new FloraMetrics(), { effects });

const reply = () => ({
  channelId: "200000000000000001",
  data: {
    content: "pong",
    message_reference: { message_id: "1234567890123456789", fail_if_not_exists: false },
    allowed_mentions: { replied_user: false },
  },
});

let n = 0;
function handover(mayHaveRun: boolean): Handover {
  return {
    id: `session:${n++}`,
    partition: 1,
    mayHaveRun,
    mayAct: () => true,
    mayStart: () => true,
    fenced() {},
    withdrawn() {},
  };
}
const event = (fields: Partial<QueuedEvent>): QueuedEvent => ({
  name: "messageCreate",
  payload: undefined,
  receivedAt: 0,
  ...fields,
});

/** A worker that loaded and was sent one bus event: its calls for no event are fenced by it. */
const worker = new GuildWorker({ guildId: "1", deploymentId: "d1" }, {} as never, 0, {
  holdsQueue: false,
});
worker.markLoaded([]);
worker.delivered([event({ handover: handover(false) })]);
const nodeTenure = () => handover(false);

type Mode = [string, () => Promise<unknown>];
const modes: Mode[] = [
  ["single", () => single.script("1", "message.send", reply())],
  ["cron", () => cluster.script("1", "message.send", reply(), event({ tenure: handover(false) }))],
  [
    "no event",
    () => cluster.script("1", "message.send", reply(), undefined, strayTenure(worker, nodeTenure)),
  ],
  ["bus, first delivery", () => busCall(false)],
  ["bus, redelivered", () => busCall(true)],
];

async function busCall(mayHaveRun: boolean): Promise<unknown> {
  const origin = event({ handover: handover(mayHaveRun) });
  const result = await cluster.script("1", "message.send", reply(), origin);
  effects.marked("1", origin.handover!.id);
  return result;
}

/** µs per call, and the median µs from the call to the executor starting it. */
async function measure(call: () => Promise<unknown>): Promise<[number, number]> {
  const toStart: number[] = [];
  const begun = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const at = performance.now();
    await call();
    toStart.push(startedAt - at);
    if (i % 1_000 === 999) await effects.flush(Infinity);
  }
  const perCall = (performance.now() - begun) / CALLS * 1_000;
  toStart.sort((a, b) => a - b);
  return [perCall, toStart[CALLS >> 1] * 1_000];
}

for (const [, call] of modes) await measure(call); // warm-up
const results = new Map<string, [number, number][]>(modes.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, call] of modes) results.get(name)!.push(await measure(call));
}
const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[xs.length >> 1];
for (const [name, runs] of results) {
  console.log(
    `${name.padEnd(20)} ${median(runs.map((r) => r[0])).toFixed(2).padStart(6)} µs per call, ` +
      `${median(runs.map((r) => r[1])).toFixed(2).padStart(5)} µs call → executor (median of ` +
      `${rounds} rounds of ${CALLS})`,
  );
}
