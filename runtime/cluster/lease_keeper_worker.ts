/**
 * The lease keeper's worker: renews a node's leases on a thread, event loop
 * and NATS connection of its own, so that a main thread busy for seconds (a
 * starved gateway node's stood still 3–5.9 s) does not let them lapse. Each
 * renewal the bucket confirmed goes to the lease's slot in shared memory
 * (`lease_slots.ts`), where the main thread's fences read it.
 *
 * Started by `LeaseKeeper` (`lease_keeper.ts`); speaks `lease_keeper_protocol.ts`.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { errorMessage } from "../../shared/error_message.ts";
import { type Lease, LeaseTable } from "./leases.ts";
import { LeaseSlots } from "./lease_slots.ts";
import { connectNats } from "./nats_connection.ts";
import type { KeeperMessage, KeeperRequest, KeeperResults } from "./lease_keeper_protocol.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent<KeeperRequest>) => void) | null;
  postMessage(message: KeeperMessage): void;
}
const scope = globalThis as unknown as WorkerScope;

/** A lease this worker renews. */
interface Kept {
  slot: number;
  /** The tenure as last written (its revision is what the next renewal compares). */
  lease: Lease;
  renewing: Promise<void> | null;
}

interface Table {
  leases: LeaseTable;
  slots: LeaseSlots;
  kept: Map<string, Kept>;
}

let connection: Promise<NatsConnection> | null = null;
let timer: ReturnType<typeof setInterval> | undefined;
const tables = new Map<number, Promise<Table>>();
/** Renewals that failed since the last notice: reported once per round, not once per lease. */
const failures: string[] = [];

function connected(): Promise<NatsConnection> {
  if (!connection) throw new Error("the lease keeper was not started");
  return connection;
}

function table(id: number): Promise<Table> {
  const found = tables.get(id);
  if (!found) throw new Error(`lease table ${id} was not opened`);
  return found;
}

/** Longest wait between two attempts to connect of a replacement worker, ms. */
const RETRY_MAX_MS = 2_000;

/**
 * Connects, trying again (250 ms, doubling to 2 s) for as long as NATS does not answer: a
 * worker replacing a dead one while the bus is unreachable would otherwise never connect, and
 * the node would take no lease again until restarted. Said once, and once connected.
 */
async function connectUntilUp(servers: string | string[], name: string): Promise<NatsConnection> {
  for (let wait = 250, failed = false;; wait = Math.min(wait * 2, RETRY_MAX_MS)) {
    try {
      const nc = await connectNats(servers, name);
      if (failed) notice("info", "lease keeper: connected to NATS again");
      return nc;
    } catch (error) {
      if (!failed) {
        notice("warn", `lease keeper: cannot connect to NATS (${errorMessage(error)}); retrying`);
      }
      failed = true;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function notice(level: "info" | "warn", message: string): void {
  scope.postMessage({ notice: { level, message } });
}

/** Starts a renewal of every kept lease that has none under way (each on its own). */
function renewAll(): void {
  if (failures.length > 0) {
    notice("warn", `renewing leases: ${failures.length} failed (${failures[0]})`);
    failures.length = 0;
  }
  for (const pending of tables.values()) {
    pending.then((table) => {
      for (const [name, kept] of table.kept) {
        kept.renewing ??= renew(table, name, kept).finally(() => (kept.renewing = null));
      }
    }, () => {});
  }
}

async function renew(table: Table, name: string, kept: Kept): Promise<void> {
  let renewed: Lease | null;
  try {
    renewed = await table.leases.renew(kept.lease);
  } catch (error) {
    // Kept: its slot's expiry closes the main thread's fence by the clock, and a later round
    // may still renew it (also after its expiry, when no other node took it).
    failures.push(`${name}: ${errorMessage(error)}`);
    return;
  }
  const current = table.kept.get(name) === kept;
  if (renewed === null) {
    if (current) {
      table.kept.delete(name);
      table.slots.end(kept.slot);
    }
    return;
  }
  kept.lease = renewed; // a release under way compares this revision
  if (current) table.slots.renewed(kept.slot, renewed);
}

/** Stops renewing `name` (its slot ended first) and waits for a renewal still under way. */
async function forget(table: Table, name: string): Promise<Kept | undefined> {
  const kept = table.kept.get(name);
  if (!kept) return undefined;
  table.kept.delete(name);
  table.slots.end(kept.slot);
  await kept.renewing;
  return kept;
}

async function handle(request: KeeperRequest): Promise<KeeperResults[keyof KeeperResults]> {
  switch (request.op) {
    case "start": {
      // Set before any await: requests posted after this one wait for the connection.
      connection = request.retry
        ? connectUntilUp(request.servers, request.name)
        : connectNats(request.servers, request.name);
      await connection;
      timer = setInterval(renewAll, request.renewMs);
      return null;
    }
    case "open": {
      const opened = (async () => {
        const kv = await new Kvm(await connected()).create(request.bucket, { history: 1 });
        return {
          leases: new LeaseTable(kv, request.options),
          slots: new LeaseSlots(request.slots),
          kept: new Map(),
        } satisfies Table;
      })();
      tables.set(request.table, opened);
      await opened;
      return null;
    }
    case "acquire": {
      const t = await table(request.table);
      await forget(t, request.name); // a new tenure of a lease already ours replaces the old one
      const lease = await t.leases.acquire(request.name);
      if (lease === null) return null;
      t.slots.begin(request.slot, lease);
      t.kept.set(request.name, { slot: request.slot, lease, renewing: null });
      return lease;
    }
    case "release": {
      const t = await table(request.table);
      const kept = t.kept.get(request.name);
      if (kept?.lease.token !== request.token) return false;
      await forget(t, request.name);
      return await t.leases.release(kept.lease);
    }
    case "list":
      return await (await table(request.table)).leases.list();
    case "close": {
      clearInterval(timer);
      for (const pending of tables.values()) {
        const t = await pending.catch(() => null);
        if (t) await Promise.all([...t.kept.keys()].map((name) => forget(t, name)));
      }
      const nc = await connection?.catch(() => null);
      await nc?.drain();
      return null;
    }
  }
}

scope.onmessage = (event) => {
  const request = event.data;
  handle(request).then(
    (value) => scope.postMessage({ id: request.id, ok: true, value }),
    (error) => scope.postMessage({ id: request.id, ok: false, error: errorMessage(error) }),
  );
};
