/**
 * A test cluster under load, as separate processes: one standalone emulator
 * (rate limits on, raised so that thousands of replies fit a test), one
 * gateway node and two runtime nodes over NATS JetStream and PostgreSQL, with
 * a script deployed to every guild; and the load: `!ping`-style messages
 * posted through the emulator's bulk route at a steady rate.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type postgres from "postgres";
import { createGuilds, spread } from "../../emulator/bench_world.ts";
import { bundle } from "../../client/bundle.ts";
import type { BenchMessage, BenchPosted } from "../../emulator/bench_control.ts";
import { EmulatorClient } from "../../emulator/mod.ts";
import { busNames } from "../../runtime/cluster/event_bus.ts";
import { type LeaseState, LeaseTable } from "../../runtime/cluster/leases.ts";
import { partitionLease, partitionOf } from "../../runtime/cluster/partitions.ts";
import { TEST_NATS_URL } from "../../storage/testing/servers.ts";
import {
  clusterEnv,
  deployAll,
  type GatewayProcess,
  ReplyLog,
  startGatewayProcess,
  until,
} from "./cluster.ts";
import { type EmulatorProcess, startEmulatorProcess } from "./emulator_process.ts";
import { type FloraProcess, startFloraProcess } from "./flora_process.ts";

export const PARTITIONS = 8;
export const GUILDS = 20;
export const NODES = ["runtime-1", "runtime-2"];

/** The ping script the load tests deploy by default. */
export const PING_SCRIPT =
  `createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong") })] });\n`;

/** A running test cluster: emulator, gateway node, two runtime nodes, a script deployed. */
export interface Cluster {
  emulator: EmulatorProcess;
  emu: EmulatorClient;
  env: Record<string, string>;
  prefix: string;
  guilds: { id: string; channels: string[]; userId: string }[];
  runtimes: FloraProcess[];
  gateway: GatewayProcess;
  replies: ReplyLog;
}

/** Starts a cluster with `script` deployed to every guild, runs `fn`, and tears it all down. */
export async function withCluster(
  fn: (cluster: Cluster) => Promise<void>,
  script = PING_SCRIPT,
): Promise<void> {
  const emulator = await startEmulatorProcess(["--heartbeat=30000", "--max-messages=20000"]);
  const emu = new EmulatorClient(emulator.controlUrl);
  // Rate limits stay on, raised so that 5,000 replies fit the test's time.
  await emu.setRateLimits({
    globalPerSecond: 5_000,
    routes: { "POST /channels/:id/messages": { limit: 1_000, windowMs: 1_000 } },
  });
  const cluster = clusterEnv(emulator, PARTITIONS);
  // A guild gets hundreds of messages in a few seconds: at the default per-guild REST budget
  // (5 calls a second) its replies trailed the load by most of a minute. The budget has its own
  // tests (tests/hostile/bounds_test.ts); here the bus, the leases and the acks are under test.
  cluster.env.FLORA_GUILD_REST_PER_SECOND = "50";
  const runtimes: FloraProcess[] = [];
  let gateway: GatewayProcess | undefined;
  let running: Cluster | undefined;
  const scripts = await Deno.makeTempDir({ prefix: "flora-cluster-load-" });
  try {
    const guilds = await createGuilds(emu, GUILDS);
    for (const id of NODES) {
      runtimes.push(await startRuntime(cluster.env, id));
    }
    gateway = await startGatewayProcess({ ...cluster.env, FLORA_NODE_ID: "gateway-1" });
    const path = `${scripts}/main.ts`;
    await Deno.writeTextFile(path, script);
    await deployAll(
      runtimes[0].info.apiUrl,
      cluster.operatorToken,
      guilds.map((g) => g.id),
      await bundle(path),
    );
    for (const node of runtimes) {
      await until("every guild live on every runtime node", async () => {
        const health = await (await fetch(`${node.info.apiUrl}/health`)).json();
        return health.activeGuilds === GUILDS;
      });
    }
    running = {
      emulator,
      emu,
      env: cluster.env,
      prefix: cluster.prefix,
      guilds,
      runtimes,
      gateway,
      replies: await ReplyLog.from(emu),
    };
    // The node that started first took every partition and hands its surplus over as the next
    // one joins: a test that picks one node's guilds (a victim to pause) must not start while
    // that handover is still under way, or some of "its" guilds move before they are armed.
    const all = Array.from({ length: PARTITIONS }, (_, i) => i);
    await until("the partitions shared evenly between the runtime nodes", async () => {
      const holders = [...(await partitionLeases(running!, all)).values()].map((l) => l.holder);
      return holders.length === PARTITIONS &&
        NODES.every((id) => holders.filter((h) => h === id).length === PARTITIONS / NODES.length);
    });
    await fn(running);
  } catch (error) {
    for (const [i, node] of runtimes.entries()) {
      // The tail, and every warning or ownership change before it (a tail of deploy lines hid
      // why a run under load left messages unanswered).
      const notable = node.output().split("\n").filter((line) =>
        /warn|error|lapsed|lost|fenced|stopped|withdrawn|partition|took|gave/i.test(line)
      );
      console.error(
        `--- ${NODES[i]} output (notable lines) ---\n${notable.slice(-60).join("\n")}\n` +
          `--- ${NODES[i]} output (tail) ---\n${node.output().slice(-3_000)}`,
      );
    }
    const gatewayNow = running?.gateway ?? gateway;
    console.error(`--- gateway output (tail) ---\n${gatewayNow?.output().slice(-3_000)}`);
    throw error;
  } finally {
    // The test may have replaced the gateway node (a restart).
    await (running?.gateway ?? gateway)?.stop();
    for (const node of runtimes) await node.stop();
    await emulator.stop();
    await Deno.remove(scripts, { recursive: true }).catch(() => {});
    await cluster.remove();
  }
}

/** Starts a runtime node (`FLORA_ROLE=runtime,api`) of the cluster. */
export function startRuntime(env: Record<string, string>, nodeId: string): Promise<FloraProcess> {
  return startFloraProcess({ env: { ...env, FLORA_ROLE: "runtime,api", FLORA_NODE_ID: nodeId } });
}

/** Posts messages through the emulator's bulk route; resolves with their ids. */
export async function post(emulator: EmulatorProcess, messages: BenchMessage[]): Promise<string[]> {
  const response = await fetch(`${emulator.controlUrl}/bench/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as BenchPosted).ids;
}

/**
 * Posts `total` messages (`content`, `!ping` by default) spread over the guilds, `perSecond` of them a second
 * (in 100 ms slices), calling `after(ids)` with each slice's message ids; stops early once
 * `done()` holds (checked before each slice).
 */
export async function load(
  cluster: Cluster,
  total: number,
  perSecond: number,
  after: (ids: string[]) => Promise<void> = async () => {},
  content = "!ping",
  done: () => boolean = () => false,
): Promise<string[]> {
  const messages = spread(cluster.guilds, total, content);
  const slice = Math.max(1, Math.round(perSecond / 10));
  const ids: string[] = [];
  for (let i = 0; i < messages.length && !done(); i += slice) {
    const started = Date.now();
    const posted = await post(cluster.emulator, messages.slice(i, i + slice));
    ids.push(...posted);
    await after(posted);
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
  }
  return ids;
}

/**
 * The replies of a script that answers each message by posting `seen <its id>` (not a reply, so
 * no reply nonce dedupes it), from now on.
 */
export function seenReplies(cluster: Cluster): Promise<ReplyLog> {
  return ReplyLog.from(cluster.emu, (body) => {
    const content = body?.content ?? "";
    return content.startsWith("seen ") ? content.slice(5) : undefined;
  });
}

/**
 * A counter of the nodes' `GET /metrics`, summed over the nodes at `urls` (one that does not
 * answer counts 0): `series` is a metric name (all its labels' series) or one series,
 * `name{label="value"}`.
 */
export async function metricSum(urls: string[], token: string, series: string): Promise<number> {
  let sum = 0;
  for (const url of urls) {
    const text = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
      .then((r) => r.text(), () => "");
    for (const line of text.split("\n")) {
      const at = line.lastIndexOf(" ");
      const name = line.slice(0, at);
      if (name === series || (!series.includes("{") && name.startsWith(`${series}{`))) {
        sum += Number(line.slice(at + 1));
      }
    }
  }
  return sum;
}

/** Each guild's KV counter `key` of store `store`, as the cluster's nodes stored it. */
export async function kvCounters(
  sql: postgres.Sql,
  cluster: Cluster,
  store: string,
  key: string,
): Promise<Map<string, number>> {
  const rows = await sql.unsafe<{ guild_id: string; value: string }[]>(
    `select guild_id, value from ${cluster.env.FLORA_POSTGRES_SCHEMA}.guild_kv
     where store = $1 and key = $2`,
    [store, key],
  );
  return new Map(rows.map((r) => [r.guild_id, Number(JSON.parse(r.value))]));
}

/** Which runtime node owns each guild's partition now. */
export async function owners(cluster: Cluster): Promise<Map<string, string>> {
  const partitions = cluster.guilds.map((g) => partitionOf(g.id, PARTITIONS));
  const leases = await partitionLeases(cluster, partitions);
  return new Map(
    cluster.guilds.map((g, i) => [g.id, leases.get(partitions[i])?.holder ?? ""]),
  );
}

/**
 * Bus events of these guilds' partitions that the server delivered and no node has acked yet
 * (a node acks an event once its handler ended and its handled mark is stored).
 */
export async function unackedEvents(cluster: Cluster, guilds: { id: string }[]): Promise<number> {
  const nc = await connect({ servers: TEST_NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const names = busNames(cluster.prefix);
    let pending = 0;
    for (const partition of new Set(guilds.map((g) => partitionOf(g.id, PARTITIONS)))) {
      pending += (await jsm.consumers.info(names.stream, names.consumer(partition)))
        .num_ack_pending;
    }
    return pending;
  } finally {
    await nc.close();
  }
}

/** The leases of these partitions now (held ones only: not released, not expired). */
export async function partitionLeases(
  cluster: Cluster,
  partitions: Iterable<number>,
): Promise<Map<number, LeaseState>> {
  const nc = await connect({ servers: TEST_NATS_URL });
  try {
    const leases = new LeaseTable(
      await new Kvm(nc).open(busNames(cluster.prefix).partitionLeases),
      { holder: "test" },
    );
    const out = new Map<number, LeaseState>();
    for (const partition of new Set(partitions)) {
      const lease = await leases.read(partitionLease(partition));
      if (lease) out.set(partition, lease);
    }
    return out;
  } finally {
    await nc.close();
  }
}
