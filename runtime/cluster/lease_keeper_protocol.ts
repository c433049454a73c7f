/**
 * Messages between a node's main thread (`lease_keeper.ts`) and its lease
 * keeper's worker (`lease_keeper_worker.ts`). Every request carries an id its
 * answer repeats; the worker handles requests in the order they were posted
 * where one depends on another (a table is opened before it is used).
 *
 * @module
 */

import type { Lease, LeaseState } from "./leases.ts";

/** A lease table's timing, as `LeaseOptions` without the clock (the worker's is `Date.now`). */
export interface KeptTableOptions {
  holder: string;
  ttlMs: number;
  skewMs: number;
  safetyMs: number;
}

export type KeeperRequest =
  | {
    id: number;
    op: "start";
    servers: string | string[];
    name: string;
    /** How often every kept lease is renewed, ms. */
    renewMs: number;
    /**
     * Keep trying to connect until NATS answers (a replacement worker: the node is up and
     * waits for its leases) instead of failing the start (a node starting).
     */
    retry: boolean;
  }
  | {
    id: number;
    op: "open";
    table: number;
    bucket: string;
    options: KeptTableOptions;
    slots: SharedArrayBuffer;
  }
  | { id: number; op: "acquire"; table: number; name: string; slot: number }
  | { id: number; op: "release"; table: number; name: string; token: number }
  | { id: number; op: "list"; table: number }
  | { id: number; op: "close" };

/** What each request resolves to. */
export interface KeeperResults {
  start: null;
  open: null;
  acquire: Lease | null;
  release: boolean;
  list: Map<string, LeaseState>;
  close: null;
}

export type KeeperMessage =
  | { id: number; ok: true; value: KeeperResults[keyof KeeperResults] }
  | { id: number; ok: false; error: string }
  | { notice: { level: "info" | "warn" | "error"; message: string } };
