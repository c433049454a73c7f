/**
 * The gateway role (`FLORA_ROLE=gateway`): holds the gateway shards and
 * publishes every guild dispatch to its partition on the event bus, where the
 * runtime node that owns the partition routes it. It runs no sandboxes and
 * opens no storage.
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Bot } from "@discordeno/bot";
import type { FloraConfig } from "../config_schema.ts";
import { createGateway } from "../host/gateway.ts";
import { errorMessage } from "../../shared/error_message.ts";
import { Heartbeat, openNodesBucket } from "./cluster_view.ts";
import { dispatchEvents } from "./bus_dispatches.ts";
import {
  type GatewayMetricsServer,
  renderGatewayMetrics,
  serveGatewayMetrics,
} from "./gateway_metrics.ts";
import { ensureEventBus, EventPublisher } from "./event_bus.ts";

/** Counters of a gateway node. */
export interface GatewayNodeStats {
  published: number;
  /** Replays the bus recognised (same session and sequence) and dropped. */
  duplicates: number;
  /** Dispatches no single guild owns, not published. */
  skipped: number;
  /** Publishes that failed (bus unreachable): those events are lost. */
  failed: number;
}

/** A running gateway node. */
export interface GatewayNode {
  bot: Bot;
  stats: GatewayNodeStats;
  close(): Promise<void>;
}

export interface GatewayNodeOptions {
  /** flora's version, shown in the operator view. */
  version: string;
  /** Delay between shard spawns, ms (tests lower it). */
  spawnShardDelay?: number;
  onNotice?: (level: "info" | "warn" | "error", message: string) => void;
}

/** Starts the gateway role: connects to NATS, ensures the bus, then starts the shards. */
export async function startGatewayNode(
  config: FloraConfig,
  options: GatewayNodeOptions,
): Promise<GatewayNode> {
  const notice = options.onNotice ?? (() => {});
  if (!config.discordToken || !config.natsUrl) {
    throw new Error("the gateway role needs DISCORD_TOKEN and NATS_URL");
  }
  const nc: NatsConnection = await connect({ servers: config.natsUrl, name: config.nodeId });
  const stats: GatewayNodeStats = { published: 0, duplicates: 0, skipped: 0, failed: 0 };
  try {
    await ensureEventBus(nc, { prefix: config.busPrefix, partitions: config.partitions });
    const publisher = new EventPublisher(nc, {
      prefix: config.busPrefix,
      partitions: config.partitions,
    });
    const bot = createGateway({
      token: config.discordToken,
      restBase: config.discordApiUrl,
      spawnShardDelay: options.spawnShardDelay,
      totalShards: config.shards,
      log: (level, message) => notice(level, `discord: ${message}`),
      onPayload(payload, shardId, sessionId) {
        const events = dispatchEvents(payload, shardId, sessionId);
        if (events.length === 0 && payload.op === 0) stats.skipped++;
        // One connection publishes in call order, so a guild's events keep their order.
        for (const event of events) {
          publisher.publish(event).then(
            (result) => result.duplicate ? stats.duplicates++ : stats.published++,
            (error) => {
              stats.failed++;
              notice("error", `event ${event.id} was not published: ${error}`);
            },
          );
        }
      },
    });
    await bot.start();
    const heartbeat = new Heartbeat(
      await openNodesBucket(nc, config.busPrefix),
      config.nodeId,
      ["gateway"],
      options.version,
    );
    const beat = () => heartbeat.beat({ ...stats }).catch(() => {});
    await beat();
    const timer = setInterval(beat, 2_000);
    return {
      bot,
      stats,
      async close() {
        clearInterval(timer);
        await bot.shutdown();
        await heartbeat.remove().catch(() => {});
        await nc.drain();
      },
    };
  } catch (error) {
    await nc.close();
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
      () => renderGatewayMetrics(node.stats, node.bot.gateway.shards.size),
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
