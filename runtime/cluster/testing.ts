/**
 * Test fixtures of the cluster modules: a NATS connection to the test server
 * and JetStream resources named uniquely per test, removed afterwards; lease
 * tables of several nodes on a clock the test moves; a node's partition intake
 * ticked by hand.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "./nats_connection.ts";
import { type KV, Kvm } from "@nats-io/kv";
import { type ServerGate, TEST_NATS_URL, uniqueName } from "../../storage/testing/servers.ts";
import { type LeaseOptions, LeaseTable } from "./leases.ts";
import {
  type PartitionIntake,
  type PartitionIntakeOptions,
  startPartitionIntake,
} from "./partition_intake.ts";

/**
 * `Deno.test` options of a test on the test NATS server: skipped when it is down (outside CI),
 * and without the resource and op sanitizers (the NATS client keeps timers and sockets across
 * calls, closed when the connection is).
 */
export function natsTest(gate: ServerGate) {
  return { ignore: gate.ignore, sanitizeResources: false, sanitizeOps: false };
}

/** Runs `fn` with a connection to the test NATS server, closed afterwards. */
export async function withNats<T>(fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectNats(TEST_NATS_URL, undefined, { timeout: 3000 });
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}

/** Runs `fn` with a fresh KV bucket (unique name), destroyed afterwards. */
export async function withBucket<T>(
  nc: NatsConnection,
  fn: (kv: KV, name: string) => Promise<T>,
): Promise<T> {
  const name = uniqueName("flora_test");
  const kv = await new Kvm(nc).create(name, { history: 1 });
  try {
    return await fn(kv, name);
  } finally {
    await kv.destroy();
  }
}

/** Runs `fn` with a fresh KV bucket on its own connection to the test NATS server. */
export function withNatsBucket<T>(fn: (kv: KV, nc: NatsConnection) => Promise<T>): Promise<T> {
  return withNats((nc) => withBucket(nc, (kv) => fn(kv, nc)));
}

/** A clock a test moves by hand. */
export class ManualClock {
  constructor(public ms = 1_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * Lease tables of `holders` (one node each) on one bucket, with the same
 * timing, on a clock the test moves.
 *
 * @example
 * ```ts ignore
 * const { clock, tables: [a, b] } = clockedLeases(kv, { ttlMs: 6_000 }, "node-a", "node-b");
 * ```
 */
export function clockedLeases(
  kv: KV,
  timing: Omit<LeaseOptions, "holder" | "now">,
  ...holders: string[]
): { clock: ManualClock; tables: LeaseTable[] } {
  const clock = new ManualClock();
  const tables = holders.map((holder) => new LeaseTable(kv, { ...timing, holder, now: clock.now }));
  return { clock, tables };
}

/**
 * One node's intake of a one-partition bus (unless `options` say otherwise), its leases on
 * `clock` (tables of this thread, not the lease keeper's worker), renewed and rebalanced by hand.
 */
export function startHandTickedIntake(
  nc: NatsConnection,
  prefix: string,
  clock: ManualClock,
  options: Partial<PartitionIntakeOptions> = {},
): Promise<PartitionIntake> {
  return startPartitionIntake({
    natsUrl: [TEST_NATS_URL],
    busPrefix: prefix,
    partitions: 1,
    nodeId: "node-a",
    version: "test",
    route: (_payload, _shard, settled) => settled(),
    withdraw: () => 0,
    lease: { ttlMs: 6_000, skewMs: 1_000, safetyMs: 1_000 },
    leases: async (bucket, timing) =>
      new LeaseTable(await new Kvm(nc).create(bucket, { history: 1 }), {
        ...timing,
        now: clock.now,
      }),
    tickMs: 3_600_000,
    renewMs: 3_600_000,
    ...options,
  });
}
