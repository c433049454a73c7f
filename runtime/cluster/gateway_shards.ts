/**
 * The shards one gateway node runs: exactly those whose `shard.N` lease it
 * holds. A shard it takes RESUMEs the session its previous holder stored
 * (`shard_sessions.ts`), so Discord replays every dispatch after the last one
 * that holder published, and the bus drops the replays it already has (same
 * `session_id:seq`). It identifies afresh only when Discord refuses the
 * resume, and then only in its bucket's identify slot.
 *
 * Fencing: a shard whose lease is no longer valid (lost, or its node paused
 * past it) publishes nothing more, connects and identifies no more, and
 * writes no session; its next holder carries on from the stored sequence.
 * A lease that is only late (still this node's, its renewal not through yet:
 * a busy event loop) holds the shard's dispatches in order and publishes them
 * once it is renewed; lost instead, they are left to the next holder, whose
 * resume replays them (they were never settled, so the stored sequence is
 * before them).
 *
 * Discordeno's gateway manager creates and keeps the shard objects
 * (`gateway.identify(N)`, `gateway.kill(N)`); this module hooks each shard as
 * the manager creates it.
 *
 * @module
 */

import type { Bot, DiscordenoShard } from "@discordeno/bot";
import { within } from "../../shared/within.ts";
import type { GatewayPayload } from "../host/event_router.ts";
import { primeResume, type ShardSession } from "../host/gateway_resume.ts";
import { SequenceWatermark } from "../host/sequence_watermark.ts";
import type { Lease } from "./leases.ts";
import type { IdentifyGate, ShardSessionStore } from "./shard_sessions.ts";

/** What this module needs of Discordeno's gateway manager. */
export type ShardManager = Pick<Bot["gateway"], "shards" | "identify" | "kill" | "totalShards">;

/**
 * Most frame text one shard holds while its lease renewal is late (a payload
 * without its frame counts 1 KiB); past it the shard restarts from its stored
 * sequence instead, and Discord replays the rest only if its replay buffer
 * reaches that far (the emulator's holds 2,000 dispatches). Held as frames
 * alone (parsed again when published): 64 MiB are about 80,000 of the
 * benchmark's 0.8 KB MESSAGE_CREATEs, 16 s at 5,000/s. A cap of 20,000
 * dispatches (4 s) was hit after a starved gateway node's event loop stood
 * still for 5 s, and the restart lost 35,646 of 50,000 events.
 */
const MAX_HELD_BYTES = 64 * 1024 * 1024;
/** How often a shard holding dispatches checks whether its lease was renewed or lost, ms. */
const HELD_CHECK_MS = 50;

/** Lease name of a gateway shard (`shard.3`). */
export const shardLease = (shardId: number): string => `shard.${shardId}`;

export interface GatewayShardsOptions {
  /** The manager, prepared: connection info, `totalShards` and buckets set. */
  gateway: ShardManager;
  sessions: ShardSessionStore;
  identify: IdentifyGate;
  /** `max_concurrency` of `GET /gateway/bot`: shard N identifies in bucket `N % maxConcurrency`. */
  maxConcurrency: number;
  /** This node's current lease on a shard, if any. */
  lease(shardId: number): Lease | undefined;
  /** Whether a lease still lets its holder act (`LeaseTable.isValid`). */
  isValid(lease: Lease): boolean;
  /**
   * Publishes one payload of a held shard; resolves once it is stored (or
   * deliberately not published), rejects when it could not be (it stays
   * unsettled, so the stored sequence stays before it and a resume replays it).
   */
  publish(
    payload: GatewayPayload,
    shardId: number,
    sessionId: string | undefined,
    frame: string | undefined,
  ): Promise<void>;
  onNotice?: (level: "info" | "warn" | "error", message: string) => void;
  /**
   * Longest wait for a stopped shard's socket to close, ms. Discordeno's `kill` waits for the
   * close handshake, which a busy or stuck peer may never finish; the ownership tick awaits a
   * lost shard's stop, so an unbounded wait stopped every later tick (a starved gateway node
   * lost its shard lease and never took the shard back: 820 events lost in a bench run) and
   * hung the node's shutdown. Messages still arriving on a socket given up on are ignored.
   * @default 2_000
   */
  killWaitMs?: number;
}

/** A dispatch held while its shard's lease renewal is late: its frame, or its payload if none. */
interface Held {
  op: number;
  sessionId: string | undefined;
  frame?: string;
  payload?: GatewayPayload;
}

/** One shard this node runs. */
interface Running {
  /** The stored session to resume, until the manager created the shard. */
  resume: ShardSession | null;
  /** Contiguously published sequence of the current session; null before its READY. */
  mark: SequenceWatermark | null;
  /** Publishes not yet settled. */
  inFlight: Set<Promise<void>>;
  /** The session last written (JSON), to skip unchanged writes. */
  written: string;
  stopping: boolean;
  /** Dispatches received while the lease's renewal was late, in order. */
  held: Held[];
  /** Size of `held` as counted against `MAX_HELD_BYTES`. */
  heldBytes: number;
  /** Checks for the renewal while `held` is not empty. */
  heldTimer: ReturnType<typeof setInterval> | undefined;
}

/** Counters of the shards' intake. */
export interface GatewayShardStats {
  /** Shards that resumed a stored session on this node. */
  resumed: number;
  /** Shards that identified afresh on this node. */
  identified: number;
  /** Payloads dropped because their shard's lease was no longer valid. */
  fenced: number;
  /** Payloads held while their shard's lease renewal was late, published once it was renewed. */
  held: number;
}

/**
 * Starts, fences and stops the leased shards of one gateway node.
 *
 * @example
 * ```ts
 * const shards = new GatewayShards({ gateway, sessions, identify, maxConcurrency, lease, isValid, publish });
 * // from the shard ownership's hooks:
 * gained: (n) => shards.start(n), draining: (n) => shards.drain(n), lost: (n) => shards.lost(n)
 * // from the gateway's onPayload:
 * shards.received(payload, shardId, sessionId, frame);
 * ```
 */
export class GatewayShards {
  readonly stats: GatewayShardStats = { resumed: 0, identified: 0, fenced: 0, held: 0 };
  readonly #options: GatewayShardsOptions;
  readonly #running = new Map<number, Running>();
  readonly #notice: NonNullable<GatewayShardsOptions["onNotice"]>;
  #persisting: Promise<void> | undefined;

  constructor(options: GatewayShardsOptions) {
    this.#options = options;
    this.#notice = options.onNotice ?? (() => {});
    const shards = options.gateway.shards;
    const set = shards.set.bind(shards);
    shards.set = (id: number, shard: DiscordenoShard) => {
      if (!shards.has(id)) this.#hook(shard);
      return set(id, shard);
    };
  }

  /** Whether this node may act for `shardId` now (holds a valid lease on it). */
  valid(shardId: number): boolean {
    const lease = this.#options.lease(shardId);
    return lease !== undefined && this.#options.isValid(lease);
  }

  /** Takes a shard just leased: reads its stored session and connects (resume or identify). */
  async start(shardId: number): Promise<void> {
    const { gateway, sessions } = this.#options;
    const session = await sessions.read(shardId, gateway.totalShards);
    // Given up while its session was read (a restart after an overflow racing the shard's
    // release or loss), or started meanwhile: connected now, it would run with no lease, and a
    // node's shutdown closing its socket could wait for it.
    if (!this.#options.lease(shardId) || this.#running.has(shardId)) return;
    this.#running.set(shardId, {
      resume: session,
      mark: session ? new SequenceWatermark(session.seq) : null,
      inFlight: new Set(),
      written: "",
      stopping: false,
      held: [],
      heldBytes: 0,
      heldTimer: undefined,
    });
    this.#notice(
      "info",
      session
        ? `took shard ${shardId}: resuming session ${session.sessionId} after seq ${session.seq}`
        : `took shard ${shardId}: no stored session, identifying`,
    );
    // Resolves once the shard is READY (and the manager's spawn delay passed): not awaited.
    gateway.identify(shardId).catch((error) =>
      this.#notice("error", `shard ${shardId} did not connect: ${error}`)
    );
  }

  /** Gives a shard up cleanly: disconnect, let publishes finish, store the session. */
  async drain(shardId: number): Promise<void> {
    const running = this.#running.get(shardId);
    if (!running) return;
    running.stopping = true;
    this.#dropHeld(running);
    // Closed with a non-1000 code: the session stays resumable for the next holder.
    await this.#kill(shardId);
    while (running.inFlight.size > 0) await Promise.allSettled([...running.inFlight]);
    await this.#persist(shardId, running).catch((error) =>
      this.#notice("warn", `shard ${shardId}: the session was not stored: ${error}`)
    );
    this.#running.delete(shardId);
    this.#notice("info", `handed shard ${shardId} over`);
  }

  /** The lease was lost: stop at once (the next holder owns the session record now). */
  async lost(shardId: number): Promise<void> {
    const running = this.#running.get(shardId);
    if (!running) return;
    running.stopping = true;
    this.#dropHeld(running);
    this.#running.delete(shardId);
    this.#notice("warn", `lost shard ${shardId} (lease expired): stopped it`);
    await this.#kill(shardId);
  }

  /**
   * One payload from a shard: published when its lease is valid, held in
   * order while its renewal is late, dropped (counted) once the shard is given
   * up. `frame` is the payload's JSON text as received, if known. Must not throw.
   */
  received(
    payload: GatewayPayload,
    shardId: number,
    sessionId: string | undefined,
    frame?: string,
  ): void {
    const running = this.#running.get(shardId);
    const lease = this.#options.lease(shardId);
    if (!running || running.stopping || !lease) {
      if (payload.op === 0) this.stats.fenced++;
      return;
    }
    if (running.held.length > 0 || !this.#options.isValid(lease)) {
      this.#hold(shardId, running, {
        op: payload.op,
        sessionId,
        ...(frame ? { frame } : { payload }),
      });
      return;
    }
    this.#publish(running, payload, shardId, sessionId, frame);
  }

  #publish(
    running: Running,
    payload: GatewayPayload,
    shardId: number,
    sessionId: string | undefined,
    frame?: string,
  ): void {
    // A new session numbers its dispatches from 1.
    if (payload.t === "READY") running.mark = new SequenceWatermark(0);
    const seq = payload.s;
    const counted = typeof seq === "number" && (running.mark ??= new SequenceWatermark(0))
      .received(seq);
    const mark = running.mark;
    const task = this.#options.publish(payload, shardId, sessionId, frame).then(
      () => {
        if (counted) mark?.settled(seq as number);
      },
      () => {}, // unsettled: the stored sequence stays before it
    );
    running.inFlight.add(task);
    task.finally(() => running.inFlight.delete(task));
  }

  /** Holds a payload until the late lease is renewed (then publishes all held, in order) or lost. */
  #hold(shardId: number, running: Running, dispatch: Held): void {
    const bytes = dispatch.frame?.length ?? 1024;
    if (running.heldBytes + bytes > MAX_HELD_BYTES) {
      this.#dropHeld(running);
      if (dispatch.op === 0) this.stats.fenced++;
      this.#restart(shardId, running);
      return;
    }
    running.held.push(dispatch);
    running.heldBytes += bytes;
    this.stats.held++;
    running.heldTimer ??= setInterval(() => {
      if (running.stopping || this.#running.get(shardId) !== running) {
        this.#dropHeld(running);
      } else if (this.valid(shardId)) {
        const held = running.held;
        this.#stopHolding(running);
        for (const { payload, sessionId, frame } of held) {
          this.#publish(running, payload ?? JSON.parse(frame!), shardId, sessionId, frame);
        }
      }
    }, HELD_CHECK_MS);
  }

  /** Gives up what a shard held: its next holder's resume replays it (it was never settled). */
  #dropHeld(running: Running): void {
    this.stats.fenced += running.held.filter(({ op }) => op === 0).length;
    this.#stopHolding(running);
  }

  #stopHolding(running: Running): void {
    running.held = [];
    running.heldBytes = 0;
    clearInterval(running.heldTimer);
    running.heldTimer = undefined;
  }

  /**
   * The shard's lease ran out before its renewal (a stalled event loop) and a
   * dispatch was dropped: its sequence must not be skipped. The shard stops
   * (its stored sequence is before the dropped one) and, once the lease is
   * renewed, starts again and resumes, so Discord replays it; if the lease is
   * lost instead, its next holder resumes it.
   */
  #restart(shardId: number, running: Running): void {
    running.stopping = true;
    this.#running.delete(shardId);
    this.#notice(
      "warn",
      `shard ${shardId}: its lease ran out before renewal and a dispatch was not published; ` +
        "restarting it from the stored sequence",
    );
    (async () => {
      await this.#kill(shardId);
      for (let lease = this.#options.lease(shardId); lease; lease = this.#options.lease(shardId)) {
        if (this.#options.isValid(lease)) {
          if (!this.#running.has(shardId)) await this.start(shardId);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })().catch((error) => this.#notice("error", `shard ${shardId} did not restart: ${error}`));
  }

  /** Stops a shard, waiting for its socket to close up to `killWaitMs`. */
  async #kill(shardId: number): Promise<void> {
    const waitMs = this.#options.killWaitMs ?? 2_000;
    const shard = this.#options.gateway.shards.get(shardId);
    const killed = this.#options.gateway.kill(shardId).catch((error) =>
      this.#notice("warn", `shard ${shardId} did not stop cleanly: ${error}`)
    );
    if (!await within(killed, waitMs)) {
      // Whatever still arrives on that socket is not this node's to handle any more.
      if (shard) shard.handleMessage = () => Promise.resolve();
      this.#notice("warn", `shard ${shardId}: its socket did not close within ${waitMs} ms`);
    }
  }

  /**
   * Stores every running shard's session whose published sequence moved. A
   * call while a round is still under way (a slow bus) joins it: rounds
   * started on a timer do not pile up.
   */
  persistAll(): Promise<void> {
    this.#persisting ??= this.#persistAll().finally(() => (this.#persisting = undefined));
    return this.#persisting;
  }

  async #persistAll(): Promise<void> {
    for (const [shardId, running] of [...this.#running]) {
      if (!running.stopping) await this.#persist(shardId, running);
    }
  }

  async #persist(shardId: number, running: Running): Promise<void> {
    const shard = this.#options.gateway.shards.get(shardId);
    const lease = this.#options.lease(shardId);
    const sessionId = shard?.sessionId ?? running.resume?.sessionId;
    const resumeUrl = shard?.resumeGatewayUrl || running.resume?.resumeUrl;
    if (!lease || !this.#options.isValid(lease) || !running.mark || !sessionId || !resumeUrl) {
      return;
    }
    const session: ShardSession = { sessionId, resumeUrl, seq: running.mark.value };
    const text = JSON.stringify(session);
    if (text === running.written) return;
    const totalShards = this.#options.gateway.totalShards;
    if (await this.#options.sessions.write(shardId, session, totalShards, lease.token)) {
      running.written = text;
    } else if (this.#running.get(shardId) === running) {
      await this.lost(shardId); // a later holder wrote: the lease is gone whatever it says
    }
  }

  /** Fences a shard the manager just created, and primes it to resume a stored session. */
  #hook(shard: DiscordenoShard): void {
    const shardId = shard.id;
    const running = this.#running.get(shardId);
    const ours = () => this.#running.get(shardId) === running;
    // A connect attempt while the lease is late (not lost) waits for its renewal: skipped, the
    // shard would stay disconnected with its lease renewed.
    const whenValid = async () => {
      while (ours()) {
        if (this.valid(shardId)) return true;
        await new Promise((resolve) => setTimeout(resolve, HELD_CHECK_MS));
      }
      return false;
    };
    const identify = shard.identify;
    shard.identify = async () => {
      const bucket = shardId % this.#options.maxConcurrency;
      if (!await whenValid() || !(await this.#options.identify.wait(bucket, ours))) return;
      if (!await whenValid()) return;
      this.stats.identified++;
      await identify.call(shard);
    };
    const resume = shard.resume;
    shard.resume = async () => {
      if (await whenValid()) await resume.call(shard);
    };
    const session = running?.resume;
    if (!session) return;
    running.resume = null;
    primeResume(shard, session, () => {
      this.stats.resumed++;
      this.#notice("info", `shard ${shardId} resumed session ${session.sessionId}`);
    });
  }
}
