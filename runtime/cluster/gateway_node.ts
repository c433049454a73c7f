/**
 * The gateway role (`FLORA_ROLE=gateway`): holds a share of the gateway
 * shards, by lease, and publishes every guild dispatch to its partition on the
 * event bus, where the runtime node that owns the partition routes it. Gateway
 * nodes share the shards as runtime nodes share partitions (each takes about
 * `ceil(shards / live gateway nodes)`); a dead node's shards are RESUMEd by the
 * others. It runs no sandboxes and opens no storage.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { publishUntilStored } from "./stored_publish.ts";
import { connectNats } from "./nats_connection.ts";
import { Kvm } from "@nats-io/kv";
import { type Bot, ShardSocketCloseCodes } from "@discordeno/bot";
import type { FloraConfig } from "../config_schema.ts";
import type { GatewayPayload } from "../host/event_router.ts";
import { createGateway } from "../host/gateway.ts";
import { errorMessage } from "../../shared/error_message.ts";
import { within } from "../../shared/within.ts";
import { Heartbeat, openNodesBucket } from "./cluster_view.ts";
import { dispatchEvents } from "./bus_dispatches.ts";
import {
  type GatewayMetricsServer,
  type GatewayNodeStats,
  renderGatewayMetrics,
  serveGatewayMetrics,
} from "./gateway_metrics.ts";
import { busNames, ensureEventBus, EventPublisher } from "./event_bus.ts";
import { GatewayShards, shardLease } from "./gateway_shards.ts";
import { LeaseKeeper } from "./lease_keeper.ts";
import { PartitionOwnership } from "./partitions.ts";
import { IdentifyGate, ShardSessionStore } from "./shard_sessions.ts";

/** Longest wait at shutdown for the shard sockets still open to close, ms (as a kill's). */
const SHUTDOWN_SOCKETS_MS = 2_000;

/** A running gateway node. */
export interface GatewayNode {
  bot: Bot;
  stats: GatewayNodeStats;
  shards: GatewayShards;
  close(): Promise<void>;
}

export interface GatewayNodeOptions {
  /** flora's version, shown in the operator view. */
  version: string;
  /** Delay between shard spawns, ms (tests lower it). */
  spawnShardDelay?: number;
  /**
   * Shard lease timing; a dead node's shards move within about `ttlMs + skewMs + tickMs`.
   * @default { ttlMs: 6_000, skewMs: 1_000, safetyMs: 1_000 }
   */
  lease?: { ttlMs: number; skewMs: number; safetyMs: number };
  /**
   * How often shards are rebalanced (handed back and taken), ms.
   * @default 2_000
   */
  tickMs?: number;
  /**
   * How often the node's leases are renewed (by the lease keeper's worker), and how often the
   * ownership looks at what it renewed, ms.
   * @default 1_000
   */
  renewMs?: number;
  onNotice?: (level: "info" | "warn" | "error", message: string) => void;
}

/**
 * Starts the gateway role: connects to NATS, ensures the bus, then takes its
 * share of the shards by lease (`gateway_shards.ts`) and publishes their dispatches.
 */
export async function startGatewayNode(
  config: FloraConfig,
  options: GatewayNodeOptions,
): Promise<GatewayNode> {
  const notice = options.onNotice ?? (() => {});
  if (!config.discordToken || !config.natsUrl) {
    throw new Error("the gateway role needs DISCORD_TOKEN and NATS_URL");
  }
  const nc: NatsConnection = await connectNats(config.natsUrl, config.nodeId);
  // Sessions and heartbeats on a connection of their own: under a heavy publish load a write
  // queued behind thousands of publishes could come too late.
  const control = await connectNats(config.natsUrl, `${config.nodeId}-control`)
    .catch(async (error) => {
      await nc.close();
      throw error;
    });
  const stats: GatewayNodeStats = {
    published: 0,
    duplicates: 0,
    skipped: 0,
    failed: 0,
    retried: 0,
  };
  /** Aborted when the node closes: publishes still retrying give up (a resume replays them). */
  const stopping = new AbortController();
  const timers: ReturnType<typeof setInterval>[] = [];
  let keeper: LeaseKeeper | null = null;
  try {
    // Leases on a worker of their own, with its own connection: this node's event loop stood
    // still 3–5.9 s under load, and its shard lease lapsed waiting for it.
    keeper = await LeaseKeeper.start({
      servers: config.natsUrl,
      name: `${config.nodeId}-leases`,
      renewMs: options.renewMs,
      onNotice: notice,
    });
    await ensureEventBus(nc, { prefix: config.busPrefix, partitions: config.partitions });
    const publisher = new EventPublisher(nc, {
      prefix: config.busPrefix,
      partitions: config.partitions,
    });
    const names = busNames(config.busPrefix);
    const kvm = new Kvm(control);
    const timing = options.lease ?? { ttlMs: 6_000, skewMs: 1_000, safetyMs: 1_000 };
    const leases = keeper;
    const table = (bucket: string, capacity: number) =>
      leases.table(bucket, { holder: config.nodeId, ...timing, capacity });
    const members = await table(names.memberLeases, 1);
    const gatewayKv = await kvm.create(names.gatewaySessions, { history: 1 });

    let shards: GatewayShards | null = null;
    const bot = createGateway({
      token: config.discordToken,
      restBase: config.discordApiUrl,
      spawnShardDelay: options.spawnShardDelay ?? config.shardSpawnDelayMs,
      totalShards: config.shards,
      log: (level, message) => notice(level, `discord: ${message}`),
      onPayload: (payload, shardId, sessionId, frame) =>
        shards?.received(payload, shardId, sessionId, frame),
    });
    const gateway = bot.gateway;
    // What bot.start() would do, without spawning every shard: this node runs only its leased ones.
    const connection = await bot.rest.getSessionInfo();
    gateway.connection = connection;
    gateway.url = connection.url;
    gateway.totalShards = config.shards ?? connection.shards;
    gateway.lastShardId = gateway.totalShards - 1;
    gateway.prepareBuckets();
    const shardLeases = await table(names.shardLeases, gateway.totalShards);

    const publish = async (
      payload: GatewayPayload,
      shardId: number,
      sessionId?: string,
      frame?: string,
    ) => {
      const events = dispatchEvents(payload, shardId, sessionId, frame);
      if (events.length === 0 && payload.op === 0) stats.skipped++;
      // Started in call order on one connection, so a guild's events keep their order.
      await Promise.all(events.map(async (event) => {
        try {
          const result = await publishUntilStored(() => publisher.publish(event), {
            signal: stopping.signal,
            onRetry: (error, attempt) => {
              stats.retried++;
              if (attempt === 1) notice("warn", `event ${event.id}: publishing again: ${error}`);
            },
          });
          result.duplicate ? stats.duplicates++ : stats.published++;
        } catch (error) {
          stats.failed++;
          notice("error", `event ${event.id} was not published: ${error}`);
          throw error;
        }
      }));
    };
    let ownership: PartitionOwnership | null = null;
    const running: GatewayShards = shards = new GatewayShards({
      gateway,
      sessions: new ShardSessionStore(gatewayKv, config.nodeId),
      identify: new IdentifyGate(gatewayKv, { holder: config.nodeId }),
      maxConcurrency: connection.sessionStartLimit.maxConcurrency,
      lease: (shardId) => ownership?.owned().get(shardId),
      isValid: (lease) => shardLeases.isValid(lease),
      publish,
      onNotice: notice,
    });
    ownership = new PartitionOwnership({
      count: gateway.totalShards,
      partitions: shardLeases,
      members,
      leaseName: shardLease,
      memberRole: "gateway",
      hooks: {
        gained: (shardId) => running.start(shardId),
        draining: (shardId) => running.drain(shardId),
        lost: (shardId) => running.lost(shardId),
        // The shard held its dispatches meanwhile and publishes them now, in order.
        lapsed: (shardId) =>
          notice(
            "warn",
            `shard ${shardId}: its lease was renewed after it had lapsed (this node or the bus ` +
              "was slow); publishing what it held",
          ),
      },
    });
    const owner = ownership;
    const heartbeat = new Heartbeat(
      await openNodesBucket(control, config.busPrefix),
      config.nodeId,
      ["gateway"],
      options.version,
    );
    const rebalance = async () => {
      await owner.rebalance().catch((error) => notice("warn", `shard ownership: ${error}`));
      await heartbeat.beat({ ...stats, ...running.stats, shards: owner.owned().size })
        .catch(() => {});
    };
    await rebalance();
    // What the keeper renewed, looked at on a timer of its own: a rebalance (listing the
    // members, starting shards) took 5.7 s on a starved gateway node.
    const renewal = setInterval(() => {
      owner.renew().catch((error) => notice("warn", `renewing shard leases: ${error}`));
    }, options.renewMs ?? 1_000);
    timers.push(setInterval(rebalance, options.tickMs ?? 2_000));
    // The published sequence moves with every event: stored often, so a takeover replays little.
    timers.push(setInterval(() => {
      running.persistAll().catch((error) => notice("warn", `storing shard sessions: ${error}`));
    }, 250));
    return {
      bot,
      stats,
      shards: running,
      async close() {
        stopping.abort();
        for (const timer of timers) clearInterval(timer);
        await owner.leave().catch((error) => notice("warn", `leaving the gateway nodes: ${error}`));
        clearInterval(renewal);
        await leases.close();
        // The shards the manager still has (none once the node left, unless one was started
        // meanwhile), bounded like a lost shard's kill: a close handshake a busy or stuck peer
        // never finishes must not keep the node from exiting.
        const closing = gateway.shutdown(
          ShardSocketCloseCodes.Shutdown,
          "flora gateway node stopping",
        );
        if (!await within(closing, SHUTDOWN_SOCKETS_MS)) {
          notice(
            "warn",
            `shard sockets still open after ${SHUTDOWN_SOCKETS_MS} ms: stopping anyway`,
          );
        }
        await heartbeat.remove().catch(() => {});
        await nc.drain();
        await control.drain();
      },
    };
  } catch (error) {
    for (const timer of timers) clearInterval(timer);
    await (keeper as LeaseKeeper | null)?.close();
    await nc.close();
    await control.close();
    throw error;
  }
}

/**
 * `deno task start` with `FLORA_ROLE=gateway`: runs a gateway node until
 * SIGINT or SIGTERM; resolves to the process's exit code.
 */
export async function runGatewayNode(config: FloraConfig, version: string): Promise<number> {
  let node: GatewayNode;
  try {
    node = await startGatewayNode(config, {
      version,
      onNotice: (level, message) => console.error(`[flora] ${level}: ${message}`),
    });
  } catch (error) {
    console.error(`flora: could not start: ${errorMessage(error)}`);
    return 1;
  }
  let metrics: GatewayMetricsServer | null = null;
  if (config.metricsPort !== undefined) {
    if (!config.operatorToken) {
      console.error(
        "flora: FLORA_METRICS_PORT needs FLORA_OPERATOR_TOKEN (/metrics is for the operator)",
      );
      await node.close();
      return 1;
    }
    metrics = serveGatewayMetrics(
      () => renderGatewayMetrics(node.stats, node.bot.gateway.shards.size, node.shards.stats),
      { host: config.apiHost, port: config.metricsPort, operatorToken: config.operatorToken },
    );
  }
  console.log(
    `flora gateway node ${config.nodeId} is running: publishing to ${config.busPrefix}.events.* ` +
      `(${config.partitions} partitions)` +
      (metrics ? `; metrics on http://${config.apiHost}:${metrics.port}/metrics.` : "."),
  );
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, resolve);
  });
  console.log(`flora: shutting down… (${JSON.stringify(node.stats)})`);
  await metrics?.close();
  await node.close();
  return 0;
}
