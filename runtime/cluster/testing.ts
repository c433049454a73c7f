/**
 * Test fixtures of the cluster modules: a NATS connection to the test server
 * and JetStream resources named uniquely per test, removed afterwards.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "./nats_connection.ts";
import { type KV, Kvm } from "@nats-io/kv";
import { TEST_NATS_URL, uniqueName } from "../../storage/testing/servers.ts";

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

/** A clock a test moves by hand. */
export class ManualClock {
  constructor(public ms = 1_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}
