/**
 * Finds the PostgreSQL, Redis and NATS (JetStream) servers tests run against, and decides
 * whether server tests run: when a server is unreachable they are skipped
 * with a message saying why, unless `CI=true`, where they run (and fail).
 *
 * @module
 */

import postgres from "postgres";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { createClient } from "redis";
import { errorMessage } from "../../shared/error_message.ts";

export const TEST_DATABASE_URL = Deno.env.get("FLORA_TEST_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/test";
export const TEST_REDIS_URL = Deno.env.get("FLORA_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";
export const TEST_NATS_URL = Deno.env.get("FLORA_TEST_NATS_URL") ?? "nats://127.0.0.1:4222";

/** Whether to skip, and the suffix to put in test names when skipping. */
export interface ServerGate {
  ignore: boolean;
  note: string;
}

const inCi = () => Deno.env.get("CI") === "true";

/** A unique, lowercase name for one test run's schema or key prefix. */
export function uniqueName(prefix: string): string {
  const random = crypto.getRandomValues(new Uint8Array(6));
  return `${prefix}_${[...random].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function gate(kind: string, url: string, probe: () => Promise<void>): Promise<ServerGate> {
  try {
    await probe();
    return { ignore: false, note: "" };
  } catch (error) {
    const reason = `${kind} unreachable at ${url} (${errorMessage(error)})`;
    if (inCi()) return { ignore: false, note: "" }; // CI must have the server: let the tests fail.
    console.warn(`skipping ${kind} tests: ${reason}; set CI=true to make this a failure`);
    return { ignore: true, note: ` [skipped: ${reason}]` };
  }
}

/** Probes PostgreSQL with one query. */
export function postgresGate(url = TEST_DATABASE_URL): Promise<ServerGate> {
  return gate("PostgreSQL", url, async () => {
    const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
    try {
      await sql`select 1`;
    } finally {
      await sql.end();
    }
  });
}

/**
 * Runs `fn` with one connection to the test database, closed afterwards: for
 * tests that read with raw SQL what flora stored.
 */
export async function withTestSql<T>(
  fn: (sql: postgres.Sql) => Promise<T>,
  url = TEST_DATABASE_URL,
): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Probes Redis with PING. */
export function redisGate(url = TEST_REDIS_URL): Promise<ServerGate> {
  return gate("Redis", url, async () => {
    const client = createClient({
      url,
      socket: { connectTimeout: 3000, reconnectStrategy: false },
    });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.ping();
    } finally {
      if (client.isOpen) await client.quit();
    }
  });
}

/** Probes NATS and its JetStream (the cluster's bus needs both). */
export function natsGate(url = TEST_NATS_URL): Promise<ServerGate> {
  return gate("NATS JetStream", url, async () => {
    const nc = await connect({ servers: url, timeout: 3000, reconnect: false });
    try {
      await (await jetstreamManager(nc)).getAccountInfo();
    } finally {
      await nc.close();
    }
  });
}

/**
 * A TCP listener on 127.0.0.1 that accepts connections and never says a
 * word (a server that hangs), for start-up deadline tests.
 */
export function silentListener(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch { /* closed */ }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await accepting;
      for (const conn of held) {
        try {
          conn.close();
        } catch { /* closed by the client */ }
      }
    },
  };
}
