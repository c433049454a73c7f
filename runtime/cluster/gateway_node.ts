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
import type { GatewayPayload } from "../host/event_router.ts";
import { createGateway } from "../host/gateway.ts";
import { errorMessage } from "../../shared/error_message.ts";
import { Heartbeat, openNodesBucket } from "./cluster_view.ts";
import { type BusEvent, ensureEventBus, EventPublisher } from "./event_bus.ts";

/** Dispatches whose guild is their own id rather than `d.guild_id`. */
const GUILD_ITSELF = new Set(["GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"]);

/**
 * The bus event of one gateway payload: null for what no single guild owns
 * (non-dispatch ops, READY, direct messages). The id, `session:seq`, stays the
 * same when a RESUME replays the dispatch, so the bus drops the replay.
 *
 * @example
 * ```ts
 * dispatchEvent({ op: 0, t: "MESSAGE_CREATE", s: 42, d: { guild_id: "1" } }, 0, "abc");
 * // { id: "abc:42", guildId: "1", shardId: 0, payload: … }
 * ```
 */
export function dispatchEvent(
  payload: GatewayPayload,
  shardId: number,
  sessionId: string | undefined,
): BusEvent | null {
  if (payload.op !== 0 || !payload.t || typeof payload.s !== "number") return null;
  if (typeof payload.d !== "object" || payload.d === null || sessionId === undefined) return null;
  const d = payload.d as Record<string, unknown>;
  const guildId = GUILD_ITSELF.has(payload.t) ? d.id : d.guild_id;
  if (typeof guildId !== "string") return null;
  return { id: `${sessionId}:${payload.s}`, guildId, shardId, payload };
}

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
        const event = dispatchEvent(payload, shardId, sessionId);
        if (event === null) {
          if (payload.op === 0) stats.skipped++;
          return;
        }
        // One connection publishes in call order, so a guild's events keep their order.
        publisher.publish(event).then(
          (result) => result.duplicate ? stats.duplicates++ : stats.published++,
          (error) => {
            stats.failed++;
            notice("error", `event ${event.id} was not published: ${error}`);
          },
        );
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
  console.log(
    `flora gateway node ${config.nodeId} is running: publishing to ${config.busPrefix}.events.* ` +
      `(${config.partitions} partitions).`,
  );
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, resolve);
  });
  console.log(`flora: shutting down… (${JSON.stringify(node.stats)})`);
  await node.close();
  return 0;
}
