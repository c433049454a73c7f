/**
 * A cluster under load (issue 16, tests 2 and 4), as separate processes: one
 * standalone emulator, one gateway node and two runtime nodes over NATS
 * JetStream and PostgreSQL. A runtime node acks a bus event only once the
 * script's handler finished, so a node that dies or restarts loses nothing:
 * - kill -9 of a runtime node during a 5,000-message load: every message is
 *   answered exactly once (replies counted per message id in the emulator's
 *   action log), and the guilds it owned answer again within 10 s;
 * - a rolling restart of every node (both runtime nodes, then the gateway
 *   node, which RESUMEs its stored session), one at a time, under load:
 *   nothing lost, nothing answered twice.
 *
 * A handler cut short by the kill runs again on the next owner; its reply
 * carries the same enforced nonce, so Discord returns the message already
 * created (the raw posts beyond one per message are printed as `re-runs`).
 */

import assert from "node:assert/strict";
import { natsGate, postgresGate } from "../storage/testing/servers.ts";
import { until } from "./helpers/cluster.ts";
import {
  type Cluster,
  load,
  metricSum,
  NODES,
  owners,
  partitionLeases,
  PARTITIONS,
  startRuntime,
  withCluster,
} from "./helpers/cluster_load.ts";
import { startGatewayProcess } from "./helpers/cluster.ts";
import type { FloraProcess } from "./helpers/flora_process.ts";
import { partitionOf } from "../runtime/cluster/partitions.ts";
import { RUNTIME_LEASE_TIMING } from "../runtime/cluster/partition_intake.ts";
import { type Schedule, scheduleSince, threadSchedule } from "./helpers/run_queue.ts";

const pg = await postgresGate();
const nats = await natsGate();

const options = {
  ignore: pg.ignore || nats.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
};

Deno.test({
  ...options,
  name: `cluster load: kill -9 of a runtime node during 5,000 messages, each answered exactly once${
    pg.note || nats.note
  }`,
  fn: () =>
    withCluster(async (cluster) => {
      const owner = await owners(cluster);
      const victim = owner.get(cluster.guilds[0].id)!;
      const survivor = cluster.runtimes[1 - NODES.indexOf(victim)];
      const moved = cluster.guilds.filter((g) => owner.get(g.id) === victim).map((g) => g.id);
      const movedPartitions = new Set(moved.map((id) => partitionOf(id, PARTITIONS)));
      let killedAt = 0;
      let split: Promise<{ expiries: number[]; takes: number[] }> | undefined;
      let watching: StarvationWatch | undefined;
      const sentAfterKill = new Set<string>();
      let posted = 0;
      const sent = await load(cluster, 5_000, 1_000, async (ids) => {
        posted += ids.length;
        if (killedAt > 0) { for (const id of ids) sentAfterKill.add(id); }
        else if (posted >= 2_000) {
          const seen = survivor.output().length;
          await cluster.runtimes[NODES.indexOf(victim)].kill();
          killedAt = Date.now();
          watching = watchStarvation(survivor.pid);
          split = takeover(cluster, survivor, seen, movedPartitions, killedAt);
        }
      });
      assert.equal(sent.length, 5_000);
      await cluster.replies.assertAnsweredOnce(sent).catch(async (error) => {
        // Which side of the kill the unanswered ones were sent on, and what the survivor's bus
        // consumers did with the events they took (kept for the next look).
        const answers = cluster.replies.answers();
        const missing = sent.filter((id) => !answers.has(id));
        const after = missing.filter((id) => sentAfterKill.has(id));
        const outcomes: string[] = [];
        for (const outcome of ["handled", "duplicate", "fenced", "withdrawn", "failed"]) {
          const n = await metricSum(
            [survivor.info.apiUrl],
            cluster.env.FLORA_OPERATOR_TOKEN,
            `flora_bus_events_total{outcome="${outcome}"}`,
          );
          outcomes.push(`${outcome} ${n}`);
        }
        // Where the rest are: on the bus not yet delivered, delivered and unacked, or never
        // published (the gateway's count).
        const view = await fetch(`${survivor.info.apiUrl}/cluster`, {
          headers: { authorization: `Bearer ${cluster.env.FLORA_OPERATOR_TOKEN}` },
        }).then((r) => r.json()).catch((e) => ({ error: String(e) }));
        const backlog = JSON.stringify({
          bus: view.bus,
          partitions: view.partitions?.map((p: Record<string, unknown>) =>
            `${p.partition}:${p.owner} pending ${p.pending} ackPending ${p.ackPending}`
          ),
          nodes: view.nodes?.map((n: Record<string, unknown>) => ({
            node: n.node,
            stats: n.stats,
          })),
          shards: view.shards,
        });
        throw new Error(
          `${error.message}; unanswered: ${missing.length - after.length} sent before the kill, ` +
            `${after.length} after (${missing.slice(0, 20).join(", ")}); the survivor's bus ` +
            `events: ${outcomes.join(", ")}; GET /cluster: ${backlog}`,
        );
      });

      // Each moved guild's first answer from its new owner: logged over a second after the kill
      // (what the killed node had sent was logged within milliseconds of it).
      const firstAfter = new Map<string, number>();
      for (const reply of cluster.replies.replies) {
        const guildId = reply.guildId ?? "";
        if (reply.at < killedAt + 1_000 || !moved.includes(guildId)) continue;
        if (!firstAfter.has(guildId)) firstAfter.set(guildId, reply.at - killedAt);
      }
      const worst = Math.max(...firstAfter.values());
      const { expiries, takes } = await split!;
      watching!.stop();
      // From the moment the dead node's leases could be taken on, the takeover is work on the
      // survivor's main thread: the time that thread was ready to run and kept waiting for a CPU
      // (a busy machine) is not the product's.
      const takeable = Math.max(...expiries) + RUNTIME_LEASE_TIMING.skewMs;
      const starved = watching!.between(killedAt + takeable, killedAt + worst);
      console.log(
        `cluster load: ${sent.length} answered once; ${firstAfter.size} of ${moved.length} moved ` +
          `guilds answered again ${worst} ms after the kill; re-runs (deduplicated) ` +
          `${cluster.replies.reposts()}\n` +
          `  after the kill: leases expired ${range(expiries)} ms, taken ${range(takes)} ms, ` +
          `first answers ${range([...firstAfter.values()])} ms; from ${takeable} ms on the ` +
          `survivor's main thread ran ${starved.cpuMs.toFixed(0)} ms and waited ` +
          `${starved.waitMs.toFixed(0)} ms for a CPU (load average ${
            Deno.loadavg()[0].toFixed(1)
          })`,
      );
      assert.equal(firstAfter.size, moved.length, "every moved guild answered again");
      // The 10 s, less the time the machine did not run the survivor: on a busy machine its
      // main thread is ready and kept waiting for a CPU for most of the takeover (at load 32: 3.0 s
      // of 4.2 s, running 0.17 s). Only the wait after the leases could be taken counts (the lease
      // timeline is not the machine's), and only the survivor's main thread (its sandboxes and the
      // emulator waited too, which still counts against it).
      assert.ok(
        worst - starved.waitMs < 10_000,
        `moved guilds answered again ${worst} ms after the kill, ${starved.waitMs.toFixed(0)} ms ` +
          `of it the survivor waiting for a CPU`,
      );
    }),
});

/**
 * Where a takeover's time goes, in ms after the kill: when the dead node's leases of `partitions`
 * expire (its last renewal's expiry), and when `survivor` says it took each (its output watched
 * from `seen` on, every 20 ms).
 */
async function takeover(
  cluster: Cluster,
  survivor: FloraProcess,
  seen: number,
  partitions: Set<number>,
  killedAt: number,
): Promise<{ expiries: number[]; takes: number[] }> {
  const leases = await partitionLeases(cluster, partitions);
  const expiries = [...leases.values()].map((lease) => lease.expiresAt - killedAt);
  const takes = new Map<number, number>();
  while (takes.size < partitions.size && Date.now() < killedAt + 30_000) {
    for (const [, n] of survivor.output().slice(seen).matchAll(/took partition (\d+)/g)) {
      if (partitions.has(Number(n)) && !takes.has(Number(n))) {
        takes.set(Number(n), Date.now() - killedAt);
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { expiries, takes: [...takes.values()] };
}

/** A process's main thread's schedule, sampled every 100 ms from the kill on. */
interface StarvationWatch {
  /** Stops sampling. */
  stop(): void;
  /** What the thread did between two moments (epoch ms), measured by the samples inside. */
  between(from: number, until: number): Schedule;
}

function watchStarvation(pid: number): StarvationWatch {
  const samples: { at: number; schedule: Schedule }[] = [];
  const sample = () => {
    const schedule = threadSchedule(pid);
    if (schedule) samples.push({ at: Date.now(), schedule });
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
    },
    between(from, until) {
      // The samples inside the span, so that a late sample never adds time outside it.
      const inside = samples.filter((s) => s.at >= from && s.at <= until);
      if (inside.length < 2) return { cpuMs: 0, waitMs: 0 };
      return scheduleSince(inside[0].schedule, inside.at(-1)!.schedule);
    },
  };
}

const range = (values: number[]) =>
  values.length === 0 ? "-" : `${Math.min(...values)}–${Math.max(...values)}`;

Deno.test({
  ...options,
  name: `cluster load: a rolling restart of every node loses nothing, answers nothing twice${
    pg.note || nats.note
  }`,
  fn: () =>
    withCluster(async (cluster) => {
      // Up to 4,000 messages over 20 s; meanwhile each runtime node in turn gets SIGTERM (it
      // drains and hands its partitions over), starts again and owns partitions again before the
      // next; then the gateway node, which starts again and RESUMEs the session it stored. The
      // load stops 2 s after that resume (the restarts took 11 of the 20 s), not at a fixed count.
      let resumedAt = Infinity;
      const resumedAWhile = () => Date.now() > resumedAt + 2_000;
      const loading = load(cluster, 4_000, 200, undefined, "!ping", resumedAWhile);
      for (const [index, nodeId] of NODES.entries()) {
        await new Promise((r) => setTimeout(r, 2_000));
        await cluster.runtimes[index].stop();
        cluster.runtimes[index] = await startRuntime(cluster.env, nodeId);
        await until(
          `${nodeId} owns partitions again`,
          () => cluster.runtimes[index].output().includes("took partition"),
        );
      }
      await new Promise((r) => setTimeout(r, 1_000));
      await cluster.gateway.stop();
      cluster.gateway = await startGatewayProcess({ ...cluster.env, FLORA_NODE_ID: "gateway-1" });
      await until("the gateway node resumes its shard", () => {
        const output = cluster.gateway.output();
        assert.doesNotMatch(output, /no stored session, identifying/, "resumed, not identified");
        return /took shard 0: resuming session/.test(output);
      });
      resumedAt = Date.now();
      const sent = await loading;
      await cluster.replies.assertAnsweredOnce(sent);
      console.log(
        `cluster rolling restart: ${sent.length} answered once; re-runs (deduplicated) ` +
          cluster.replies.reposts(),
      );
    }),
});
