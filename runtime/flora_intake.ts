/**
 * Where a running flora's events come from, and the schedulers started with
 * them: in a cluster, the event bus partitions this node owns; in a single
 * process, the bot's own Discord gateway (resuming the last session). Split
 * out of `startFlora`, which decides which one and owns the shutdown order.
 *
 * @module
 */

import type { Bot } from "@discordeno/bot";
import { API_VERSION } from "../api/app.ts";
import { type PartitionIntake, startPartitionIntake } from "./cluster/partition_intake.ts";
import type { StartSteps } from "./start_steps.ts";
import type { FloraConfig } from "./config_schema.ts";
import type { CronScheduler } from "./host/cron.ts";
import type { EventRouter } from "./host/event_router.ts";
import type { GatewayResume } from "./host/gateway_resume.ts";
import { stopGateway } from "./host/gateway.ts";
import { shardsConnected } from "./host/shards_connected.ts";
import type { SandboxManager } from "./host/sandboxes.ts";
import type { FloraMetrics } from "./host/metrics.ts";
import type { TaskScheduler } from "./host/tasks/scheduler.ts";
import type { EffectJournaling } from "./host/effect_journaling.ts";

/** What both intakes start and register for shutdown (run in reverse order). */
export interface IntakeParts extends StartSteps {
  router: EventRouter;
  sandboxes: SandboxManager;
  metrics: FloraMetrics;
  cron: CronScheduler;
  tasks: TaskScheduler;
  /** Workers resident in this node's sandboxes now (shown per node by `GET /cluster`). */
  residentWorkers(): number;
  /** Cluster runtime nodes: the journal of bus events' effects (rows go once marked handled). */
  effects?: EffectJournaling;
}

/**
 * Cluster runtime node: events come from the gateway nodes through the bus;
 * the bot is only the REST client.
 *
 * @example
 * ```ts
 * intake = await startClusterIntake(config, {
 *   router, sandboxes, metrics, cron, tasks, cleanups, notice, residentWorkers: () => 0,
 * });
 * ```
 */
export async function startClusterIntake(
  config: FloraConfig,
  parts: IntakeParts,
): Promise<PartitionIntake> {
  const { router, sandboxes, metrics, cron, tasks, cleanups, notice, effects } = parts;
  const intake = await startPartitionIntake({
    natsUrl: config.natsUrl ?? [],
    busPrefix: config.busPrefix,
    partitions: config.partitions,
    nodeId: config.nodeId,
    version: API_VERSION,
    // The frame goes to the sandbox as is, as a single process sends a shard's (when it may
    // ride raw on the link, which the sandbox manager checks where it keeps it).
    route: (payload, shardId, settled, handover, frame) =>
      router.route(payload, shardId, settled, frame, handover),
    withdraw: (which) => sandboxes.withdraw(which),
    release: (which) => sandboxes.release(which),
    onNotice: (level, message) => notice(level, `cluster: ${message}`),
    onOutcome: (outcome) => metrics.busEvents.inc(outcome),
    marked: effects && ((guildId, eventId) => effects.marked(guildId, eventId)),
    stats: () => ({ residentWorkers: parts.residentWorkers() }),
  });
  metrics.gauge(
    "flora_bus_partitions_owned",
    "Cluster runtime nodes: event partitions this node owns now.",
    () => intake.ownership.owned().size,
  );
  cron.start();
  cleanups.push(() => cron.close());
  tasks.start();
  cleanups.push(() => tasks.close());
  cleanups.push(() => intake.close());
  if (effects) cleanups.push(effects.start());
  return intake;
}

/**
 * Single process: the bot connects its own gateway shards, resuming the
 * sessions the last run persisted.
 *
 * @example
 * ```ts
 * await startGatewayIntake(bot, resume, {
 *   router, sandboxes, metrics, cron, tasks, cleanups, notice, residentWorkers: () => 0,
 * });
 * ```
 */
export async function startGatewayIntake(
  bot: Bot,
  resume: GatewayResume,
  parts: IntakeParts,
): Promise<void> {
  const { router, cron, tasks, cleanups, notice } = parts;
  const gateway = bot.gateway;
  router.shardOf = (guildId) => Number((BigInt(guildId) >> 22n) % BigInt(gateway.totalShards));
  resume.attach(gateway);
  const starting = bot.start();
  await shardsConnected(
    gateway,
    starting,
    (error) => notice("error", `the gateway's start failed after its shards connected: ${error}`),
  );
  resume.start();
  if (resume.resumed.length > 0) {
    notice("info", `resumed the gateway session of shard(s) ${resume.resumed.join(", ")}`);
  }
  cron.start();
  cleanups.push(() => cron.close());
  tasks.start();
  cleanups.push(() => tasks.close());
  cleanups.push(() => stopGateway(bot, starting));
  // Before the gateway stops: from then on, idle no longer means every event was handled.
  cleanups.push(() => resume.stop());
}
