/**
 * The runtime role's intake (`FLORA_ROLE=runtime,api`): instead of holding
 * gateway shards, the node owns a share of the event partitions and routes
 * their events as if its own shards had received them.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "./nats_connection.ts";
import type { GatewayPayload } from "../host/event_router.ts";
import type { EffectTenure, Handover } from "../host/guild_queue.ts";
import { type ClusterView, Heartbeat, openNodesBucket, readClusterView } from "./cluster_view.ts";
import {
  busNames,
  type ConsumerOutcome,
  DRAIN_DEADLINE_MS,
  ensureEventBus,
  PartitionConsumer,
  type TakeResult,
} from "./event_bus.ts";
import type { Lease } from "./leases.ts";
import { within } from "../../shared/within.ts";
import { LeaseKeeper } from "./lease_keeper.ts";
import type { KeptTableOptions } from "./lease_keeper_protocol.ts";
import { type FencedLeases, partitionOf, PartitionOwnership, TakeTimer } from "./partitions.ts";

export interface PartitionIntakeOptions {
  natsUrl: string[];
  busPrefix: string;
  partitions: number;
  nodeId: string;
  /** flora's version, shown in the operator view. */
  version: string;
  /**
   * Routes one event (the event router's `route`); `settled` is called once its handler
   * finished, or it was dropped or lost with its worker: the event is acked only then;
   * `handover.withdrawn` when it was given back unstarted, because this node may no longer
   * start it (`handover.mayStart`) or `withdraw` took it back. `frame` is the payload's JSON
   * text as the bus carried it.
   */
  route(
    payload: GatewayPayload,
    shardId: number,
    settled: () => void,
    handover: Handover,
    frame: string | undefined,
  ): void;
  /**
   * Takes back the routed events of these guilds that have not started (the sandbox manager's
   * `withdraw`): called when a partition is handed over or lost, so they run on its next owner
   * only. Returns how many.
   */
  withdraw(which: (guildId: string) => boolean): number;
  /**
   * Stops the idle workers of these guilds (the sandbox manager's `release`): called once a
   * partition was handed to another node (a rebalance) or lost to one, after its drain, so its
   * guilds' workers do not hold memory and resident slots here until the idle timeout. Not for
   * a lapsed partition (stopped and taken back at once) nor at shutdown.
   */
  release?(which: (guildId: string) => boolean): void;
  /**
   * Lease timing; a dead node's partitions may be taken `ttlMs + skewMs` after its last
   * renewal (0 to `renewMs` before its death).
   * @default RUNTIME_LEASE_TIMING
   */
  lease?: { ttlMs: number; skewMs: number; safetyMs: number };
  /**
   * Opens a lease table for up to `capacity` names. By default the node's leases are kept by a
   * worker of their own (`LeaseKeeper`), renewed whatever the main thread is doing; tests
   * pass `LeaseTable`s on a clock they move (renewed by `ownership.renew()` on this thread).
   */
  leases?: (bucket: string, options: KeptTableOptions & { capacity: number }) => Promise<
    FencedLeases
  >;
  /**
   * How often ownership is rebalanced (partitions handed back and taken), ms.
   * @default 1_000
   */
  tickMs?: number;
  /**
   * How often the node's leases are renewed (by the lease keeper's worker), and how often the
   * ownership looks at what it renewed (lost and lapsed leases), ms: a renewal has
   * `ttlMs - safetyMs - renewMs` (2.5 s by default) to get through before the fence closes.
   * @default RUNTIME_RENEW_MS
   */
  renewMs?: number;
  onNotice?: (level: "info" | "warn" | "error", message: string) => void;
  /** Figures of this node for its heartbeat (`GET /cluster`), e.g. its resident workers. */
  stats?(): Record<string, number>;
  /** Told once a bus event is marked handled (it will not run again): its journal rows go. */
  marked?(guildId: string, eventId: string): void;
  /** Told each bus event's outcome (the node's metrics count them). */
  onOutcome?: (outcome: ConsumerOutcome) => void;
}

/** A runtime node's partition intake. */
export interface PartitionIntake {
  ownership: PartitionOwnership;
  consumers: ReadonlyMap<number, PartitionConsumer>;
  /** The whole cluster as the operator sees it (`GET /cluster`). */
  view(): Promise<ClusterView>;
  /** Whether this node owns `guildId`'s partition now (with a valid lease): it runs its cron. */
  owns(guildId: string): boolean;
  /**
   * This node's tenure of `guildId`'s partition now, for a cron or task run it fires: its calls
   * land only while that same tenure's lease is valid (none held now: they never do).
   */
  tenure(guildId: string): EffectTenure;
  /** Drains and hands back every partition, then disconnects. */
  close(): Promise<void>;
}

/**
 * A runtime node's partition and membership leases. Each second of TTL is one
 * of a dead node's takeover (6 s before: answered again 7–10 s after a kill -9,
 * past 10 s twice at load 14–22). `skewMs` (clocks may differ) and `safetyMs`
 * (a holder stops before its expiry, its last effects landing meanwhile) are
 * what fencing needs and stay; the TTL only bounds how late a renewal may get
 * through, and renewals no longer wait for the main event loop (the lease
 * keeper's worker): with `RUNTIME_RENEW_MS`, 2.5 s. A renewal later than that
 * only lapses the lease for a moment unless another node took it meanwhile.
 */
export const RUNTIME_LEASE_TIMING = { ttlMs: 4_000, skewMs: 1_000, safetyMs: 1_000 };

/** How often a runtime node's leases are renewed, ms (the TTL's last renewal is this stale). */
export const RUNTIME_RENEW_MS = 500;

/**
 * How long a partition handed to another runtime node (a rebalance, not a
 * shutdown) waits for its started events, ms.
 */
export const HANDOVER_DRAIN_MS = 15_000;

/** Joins the cluster's runtime nodes and starts taking partitions. */
export async function startPartitionIntake(
  options: PartitionIntakeOptions,
): Promise<PartitionIntake> {
  const notice = options.onNotice ?? (() => {});
  const nc: NatsConnection = await connectNats(options.natsUrl, options.nodeId);
  let keeper: LeaseKeeper | null = null;
  try {
    await ensureEventBus(nc, { prefix: options.busPrefix, partitions: options.partitions });
    const timing = options.lease ?? RUNTIME_LEASE_TIMING;
    const renewMs = options.renewMs ?? RUNTIME_RENEW_MS;
    const names = busNames(options.busPrefix);
    const open = options.leases ?? (async (bucket, tableOptions) => {
      keeper ??= await LeaseKeeper.start({
        servers: options.natsUrl,
        name: `${options.nodeId}-leases`,
        renewMs,
        onNotice: notice,
      });
      return keeper.table(bucket, tableOptions);
    });
    const table = (bucket: string, capacity: number) =>
      open(bucket, { holder: options.nodeId, ...timing, capacity });
    const partitionLeases = await table(names.partitionLeases, options.partitions);
    const consumers = new Map<number, PartitionConsumer>();
    /** Partitions whose events this node may start: taken, valid lease, not being handed over. */
    const startable = new Set<number>();
    /** Partitions whose last consumer here gave up waiting for events still running. */
    const leftovers = new Map<number, Promise<void>>();
    let closing = false;
    const inPartition = (partition: number) => (guildId: string) =>
      partitionOf(guildId, options.partitions) === partition;
    /** The partition's guilds run on another node now: their workers here go, unless busy. */
    const release = (partition: number) => {
      if (!closing) options.release?.(inPartition(partition));
    };
    const stopConsumer = async (partition: number, deadlineMs: number) => {
      const consumer = consumers.get(partition);
      consumers.delete(partition);
      startable.delete(partition);
      // Stop taking events first, then give back what has not started: it runs on the next
      // owner only, and the drain waits for the started ones alone.
      const stopped = consumer?.stop(deadlineMs);
      options.withdraw(inPartition(partition));
      const unfinished = await stopped;
      if (unfinished && consumer) {
        const left = consumer.idle();
        leftovers.set(partition, left);
        left.finally(() => leftovers.get(partition) === left && leftovers.delete(partition));
        notice(
          "warn",
          `partition ${partition}: ${unfinished} event(s) still running at hand-over ` +
            "(unacked: the next owner runs them again)",
        );
      }
      if (consumer && consumer.stats.fenced > 0) {
        notice(
          "warn",
          `partition ${partition}: ${consumer.stats.fenced} event(s) left to the next owner ` +
            "(they arrived, or their handlers made a call, after this node's lease ended)",
        );
      }
    };
    /** Whether this node still holds `partition` under its tenure of now (none: never). */
    const tenureFence = (partition: number) => {
      const tenure = ownership.owned().get(partition)?.token;
      return () => {
        const lease = ownership.owned().get(partition);
        return tenure !== undefined && lease?.token === tenure && partitionLeases.isValid(lease);
      };
    };
    const startConsumer = async (partition: number): Promise<void> => {
      // This consumer's tenure: a handler it started may not act under a later one (the
      // partition lost and taken back while the handler still ran, the event run elsewhere).
      const fence = tenureFence(partition);
      // Checked as each event leaves its guild's queue for a worker: a node paused past its
      // lease starts none of what it had queued, even before its next tick says so.
      const mayStart = () => startable.has(partition) && fence();
      startable.add(partition);
      const consumer = await PartitionConsumer.start(nc, {
        prefix: options.busPrefix,
        partitions: options.partitions,
        partition,
        fence,
        take: (event, delivery) =>
          new Promise<TakeResult>((resolve) => {
            // A mutating call of its handler was refused (the lease lapsed, effect_fencing.ts):
            // left unmarked and unacked, so it runs on the next owner (or here again, if this
            // node renewed in time after all), its earlier effects replayed from the journal.
            let fenced = false;
            options.route(
              event.payload as GatewayPayload,
              event.shardId ?? 0,
              () => resolve(fenced ? "fenced" : "finished"),
              {
                id: event.id,
                partition,
                mayHaveRun: delivery.mayHaveRun,
                mayStart,
                mayAct: fence,
                fenced: () => fenced = true,
                withdrawn: () => resolve("withdrawn"),
              },
              event.frame,
            );
          }),
        marked: options.marked && ((event) => options.marked!(event.guildId, event.id)),
        onError: (error) => notice("warn", `partition ${partition}: ${error}`),
        onOutcome: options.onOutcome,
      });
      consumers.set(partition, consumer);
      notice("info", `took partition ${partition}`);
    };
    const gained = (partition: number, lease: Lease): Promise<void> | undefined => {
      const before = leftovers.get(partition);
      if (!before) return startConsumer(partition);
      // Taken back while events this node began for it still run: started again now, they
      // would run twice here (a reply's nonce counts per node, so it would not dedupe).
      // They finish and are marked first, without holding up the tick.
      notice("info", `partition ${partition}: taken back, after its earlier events here`);
      within(before, HANDOVER_DRAIN_MS).then(() => {
        const now = ownership.owned().get(partition);
        if (now?.token === lease.token && !consumers.has(partition)) {
          return startConsumer(partition);
        }
      }).catch((error) => notice("warn", `partition ${partition}: ${error}`));
    };
    const ownership: PartitionOwnership = new PartitionOwnership({
      count: options.partitions,
      partitions: partitionLeases,
      members: await table(names.memberLeases, 1),
      hooks: {
        gained,
        // A rebalance waits for started events longer than a shutdown can (leases are renewed
        // meanwhile): what it gives up on runs twice.
        async draining(partition) {
          const started = performance.now();
          await stopConsumer(partition, closing ? DRAIN_DEADLINE_MS : HANDOVER_DRAIN_MS);
          release(partition);
          // Said, like a take: how long a joining node waits for its share shows here.
          notice(
            "info",
            `handing partition ${partition} over (drained in ${
              Math.round(performance.now() - started)
            } ms)`,
          );
        },
        lost(partition) {
          notice("warn", `lost partition ${partition} (lease expired)`);
          // Its acks are fenced out already: no use waiting.
          return stopConsumer(partition, 0).then(() => release(partition));
        },
        // While the fence was closed the consumer left events unacked (refused at the take, or
        // given back unstarted by `mayStart`, or fenced in their handler): JetStream would
        // hold them for `ack_wait` (60 s), and at 256 of them stop delivering the partition.
        // A consumer started again from the ack floor has them delivered again at once.
        async lapsed(partition, lease) {
          notice(
            "warn",
            `partition ${partition}: its lease was renewed after it had lapsed (this node or ` +
              "the bus was slow); consuming it again from its ack floor",
          );
          try {
            await stopConsumer(partition, 0);
            await gained(partition, lease);
          } catch (error) {
            notice("warn", `partition ${partition}: its consumer did not start again: ${error}`);
          }
        },
      },
    });
    const heartbeat = new Heartbeat(
      await openNodesBucket(nc, options.busPrefix),
      options.nodeId,
      ["runtime", "api"],
      options.version,
    );
    const renew = () =>
      ownership.renew().catch((error) => notice("warn", `renewing partition leases: ${error}`));
    const rebalance = async () => {
      await ownership.rebalance().catch((error) => notice("warn", `partition ownership: ${error}`));
      takeTimer.update();
      await heartbeat.beat({ partitions: ownership.owned().size, ...options.stats?.() }).catch(
        () => {},
      );
    };
    // A dead node's partitions are taken when their leases may be, not on the tick after.
    const takeTimer = new TakeTimer(ownership, rebalance);
    await rebalance();
    // What the keeper renewed, looked at on a timer of its own: a rebalance (listing leases,
    // starting consumers) can take seconds on a starved node, and losses are told at once.
    const renewal = setInterval(renew, renewMs);
    const timer = setInterval(rebalance, options.tickMs ?? 1_000);
    return {
      ownership,
      consumers,
      view: () =>
        readClusterView(nc, { prefix: options.busPrefix, partitions: options.partitions }),
      owns(guildId) {
        const lease = ownership.owned().get(partitionOf(guildId, options.partitions));
        return lease !== undefined && partitionLeases.isValid(lease);
      },
      tenure(guildId) {
        const partition = partitionOf(guildId, options.partitions);
        return {
          partition,
          mayAct: tenureFence(partition),
          fenced() {},
          outcome: "this run ends here (a task left incomplete fires again on the guild's owner)",
        };
      },
      async close() {
        clearInterval(timer);
        closing = true;
        takeTimer.stop();
        await ownership.leave().catch((error) => notice("warn", `leaving the cluster: ${error}`));
        clearInterval(renewal);
        await keeper?.close();
        await heartbeat.remove().catch(() => {});
        await nc.drain();
      },
    };
  } catch (error) {
    await (keeper as LeaseKeeper | null)?.close();
    await nc.close();
    throw error;
  }
}
