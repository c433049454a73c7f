/**
 * The api role alone (`FLORA_ROLE=api`): a stateless node that serves the
 * API and runs no guild's events. A deploy through it loads the script in a
 * sandbox of its own (to validate it and read its commands), registers the
 * commands and marks the deployment active; the deployment pub/sub
 * (`DeploymentSync`) then switches the runtime node that runs the guild over.
 * Its worker stays only until the idle sweep retires it (no events reach it).
 *
 * On the bus it only writes a heartbeat, so the operator view lists it, and
 * reads that view (`GET /cluster`).
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "./nats_connection.ts";
import { type ClusterView, Heartbeat, openNodesBucket, readClusterView } from "./cluster_view.ts";
import { ensureEventBus } from "./event_bus.ts";

export interface ApiNodeOptions {
  natsUrl: string[];
  busPrefix: string;
  partitions: number;
  nodeId: string;
  /** flora's version, shown in the operator view. */
  version: string;
  /**
   * How often the heartbeat is written, ms.
   * @default 2_000
   */
  heartbeatMs?: number;
}

/** An api node's presence in the cluster. */
export interface ApiNodePresence {
  /** The whole cluster as the operator sees it (`GET /cluster`). */
  view(): Promise<ClusterView>;
  /** Removes the heartbeat and disconnects. */
  close(): Promise<void>;
}

/**
 * Joins the cluster as an api node: checks the bus agrees with this node's
 * settings (partition count) and starts its heartbeat.
 *
 * @example
 * ```ts
 * const presence = await joinAsApiNode({ natsUrl, busPrefix: "flora", partitions: 64, nodeId, version });
 * const view = await presence.view();
 * await presence.close();
 * ```
 */
export async function joinAsApiNode(options: ApiNodeOptions): Promise<ApiNodePresence> {
  const nc: NatsConnection = await connectNats(options.natsUrl, options.nodeId);
  try {
    await ensureEventBus(nc, { prefix: options.busPrefix, partitions: options.partitions });
    const heartbeat = new Heartbeat(
      await openNodesBucket(nc, options.busPrefix),
      options.nodeId,
      ["api"],
      options.version,
    );
    const beat = () => heartbeat.beat().catch(() => {});
    await beat();
    const timer = setInterval(beat, options.heartbeatMs ?? 2_000);
    return {
      view: () =>
        readClusterView(nc, { prefix: options.busPrefix, partitions: options.partitions }),
      async close() {
        clearInterval(timer);
        await heartbeat.remove().catch(() => {});
        await nc.drain();
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
