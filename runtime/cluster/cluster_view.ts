/**
 * What an operator sees of a cluster (`GET /cluster`, `flora cluster status`):
 * the nodes with their roles and last heartbeat, which runtime node owns each
 * partition, and each partition's backlog on the bus. Every node writes a
 * heartbeat to a KV bucket whose entries expire, so a dead node drops out.
 *
 * @module
 */

import { jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { busNames } from "./event_bus.ts";
import { LeaseTable } from "./leases.ts";
import { partitionLease } from "./partitions.ts";
import { listShardSessions } from "./shard_sessions.ts";
import { shardLease } from "./gateway_shards.ts";

/** One node's heartbeat. */
export interface NodeInfo {
  node: string;
  roles: string[];
  /** flora's API version. */
  version: string;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601. */
  heartbeatAt: string;
  /** Role-specific counters (e.g. a gateway node's published events). */
  stats?: Record<string, number>;
}

/** One partition: owner and backlog. */
export interface PartitionView {
  partition: number;
  /** Runtime node holding its lease; null when nobody does (it is moving). */
  owner: string | null;
  /** Fencing token of the owner's tenure. */
  token: number | null;
  /** Events on the bus not yet delivered to the owner (consumer lag). */
  pending: number;
  /** Delivered to the owner, not yet acked. */
  ackPending: number;
  redelivered: number;
}

/** One gateway shard: the gateway node holding it and where a takeover would resume. */
export interface ShardView {
  shard: number;
  /** Gateway node holding its lease; null when nobody does (it is moving). */
  owner: string | null;
  token: number | null;
  /** Last sequence published contiguously, as stored for a RESUME; null before the first. */
  seq: number | null;
}

export interface ClusterView {
  mode: "cluster";
  bus: { stream: string; messages: number; partitions: number };
  nodes: NodeInfo[];
  partitions: PartitionView[];
  /** Gateway shards (empty until a gateway node stored a session). */
  shards: ShardView[];
}

/**
 * How long a heartbeat lasts without renewal, ms.
 * @default 15_000
 */
export const HEARTBEAT_TTL_MS = 15_000;

/** Opens (creating if missing) the heartbeat bucket of the cluster named by `prefix`. */
export async function openNodesBucket(nc: NatsConnection, prefix: string): Promise<KV> {
  return await new Kvm(nc).create(busNames(prefix).nodes, { history: 1, ttl: HEARTBEAT_TTL_MS });
}

/**
 * Writes this node's heartbeat (call every few seconds; `remove` on shutdown).
 *
 * @example
 * ```ts
 * const beat = new Heartbeat(await openNodesBucket(nc, "flora"), "gw-1", ["gateway"], "1");
 * setInterval(() => beat.beat(), 5_000);
 * ```
 */
export class Heartbeat {
  readonly startedAt = new Date().toISOString();

  constructor(
    readonly kv: KV,
    readonly node: string,
    readonly roles: string[],
    readonly version: string,
  ) {}

  async beat(stats?: Record<string, number>): Promise<void> {
    const info: NodeInfo = {
      node: this.node,
      roles: this.roles,
      version: this.version,
      startedAt: this.startedAt,
      heartbeatAt: new Date().toISOString(),
      ...(stats ? { stats } : {}),
    };
    await this.kv.put(this.node, JSON.stringify(info));
  }

  async remove(): Promise<void> {
    await this.kv.delete(this.node);
  }
}

/** Reads the whole cluster's state from NATS. */
export async function readClusterView(
  nc: NatsConnection,
  options: { prefix: string; partitions: number },
): Promise<ClusterView> {
  const names = busNames(options.prefix);
  const kvm = new Kvm(nc);
  const nodesKv = await openNodesBucket(nc, options.prefix);
  const nodes: NodeInfo[] = [];
  // A key rewritten while the listing runs (a heartbeat) can be listed twice.
  const keys = new Set<string>();
  for await (const key of await nodesKv.keys()) keys.add(key);
  for (const key of keys) {
    const entry = await nodesKv.get(key);
    if (entry?.operation === "PUT") nodes.push(entry.json<NodeInfo>());
  }
  nodes.sort((a, b) => a.node.localeCompare(b.node));
  const leases = new LeaseTable(
    await kvm.create(names.partitionLeases, { history: 1 }),
    { holder: "observer" },
  );
  const held = await leases.list();
  const jsm = await jetstreamManager(nc);
  const stream = await jsm.streams.info(names.stream);
  const partitions: PartitionView[] = [];
  for (let partition = 0; partition < options.partitions; partition++) {
    const lease = held.get(partitionLease(partition));
    const consumer = await jsm.consumers.info(names.stream, names.consumer(partition))
      .catch(() => null); // never owned yet
    partitions.push({
      partition,
      owner: lease?.holder ?? null,
      token: lease?.token ?? null,
      pending: consumer?.num_pending ?? 0,
      ackPending: consumer?.num_ack_pending ?? 0,
      redelivered: consumer?.num_redelivered ?? 0,
    });
  }
  return {
    mode: "cluster",
    bus: { stream: names.stream, messages: stream.state.messages, partitions: options.partitions },
    nodes,
    partitions,
    shards: await readShards(kvm, names),
  };
}

/** Every shard of the current shard count, with its lease holder and stored sequence. */
async function readShards(kvm: Kvm, names: ReturnType<typeof busNames>): Promise<ShardView[]> {
  const sessions = await listShardSessions(
    await kvm.create(names.gatewaySessions, { history: 1 }),
  );
  const count = Math.max(0, ...sessions.map((s) => s.totalShards));
  const held = await new LeaseTable(
    await kvm.create(names.shardLeases, { history: 1 }),
    { holder: "observer" },
  ).list();
  return Array.from({ length: count }, (_, shard) => {
    const lease = held.get(shardLease(shard));
    const session = sessions.find((s) => s.shard === shard && s.totalShards === count);
    return {
      shard,
      owner: lease?.holder ?? null,
      token: lease?.token ?? null,
      seq: session?.seq ?? null,
    };
  });
}
