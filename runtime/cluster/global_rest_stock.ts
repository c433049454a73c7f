/**
 * A node's stock of turns under Discord's global REST limit, leased from the
 * cluster's sliding log in Redis a few at a time, so most requests spend a
 * turn without a Redis round trip.
 *
 * A lease of k turns (k = limit / (4 × nodes that leased in the last 10 s), at
 * least 1) is one Lua call: it adds k entries to the log scored `now + ε` (on
 * Redis's clock), the latest moment they may be spent, and grants them only
 * while the log holds fewer than `limit` entries scored within the window. A
 * turn is spent only within ε of the lease being asked for (on this node's
 * clock, so before `now + ε` on Redis's whatever the hop), so every entry is
 * scored at or after its send and the log still bounds any window's sends
 * across nodes. Afterwards, off the request's path, a spent entry is rescored
 * to its send time (the log then counts exactly what was sent) and an unspent
 * expired one is removed. A lease is refilled in the background when half the
 * stock is spent. Neither runs while the request that spent the turn is being
 * sent, so their Redis calls do not share the node's event loop (and the
 * machine's CPUs) with it: settles wait for its answer ({@linkcode flush}),
 * refills {@linkcode AFTER_SEND_MS}.
 *
 * @module
 */

import type { RedisClient } from "../../storage/redis/connect.ts";

/**
 * How long a refill (and a settle of turns given back) waits, ms: past the request's send. Run
 * at once (as before), the Redis work overlapped the request on the node's event loop and the
 * emulator's CPU: `bench --cluster --quick`, fetch called → request read by the emulator 0.64
 * ms p50 against 0.47 ms in a single process; 0.52 ms held back. Held this long, the log only
 * counts a spent turn at its lease's `now + ε` a little longer (never less than what was sent).
 */
export const AFTER_SEND_MS = 10;

// KEYS: global log, global block, leasing nodes.
// ARGV: global limit, window ms, ε ms, node id, member prefix.
// Returns {wait ms} when none is free, else {0, Redis now ms, granted}.
const LEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window, eps = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[3], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 10000)
redis.call('PEXPIRE', KEYS[3], 20000)
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < blocked then return {blocked - now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local free = limit - redis.call('ZCARD', KEYS[1])
if free <= 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {math.max(1, tonumber(oldest[2]) + window - now + 1)}
end
local k = math.max(1, math.floor(limit / (4 * redis.call('ZCARD', KEYS[3]))))
local granted = math.min(k, free)
for i = 1, granted do
  redis.call('ZADD', KEYS[1], now + eps, ARGV[5] .. i)
end
redis.call('PEXPIRE', KEYS[1], window * 2 + eps)
return {0, now, granted}
`;

// KEYS: global log. ARGV: pairs of member and send time (ms on Redis's clock; '' = unspent).
const SETTLE = `
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('ZREM', KEYS[1], ARGV[i])
  else
    redis.call('ZADD', KEYS[1], 'XX', ARGV[i + 1], ARGV[i])
  end
end
return 0
`;

/** Keys and settings of the stock (shared with {@linkcode SharedRestLimits}'s own script). */
export interface GlobalRestStockOptions {
  logKey: string;
  blockKey: string;
  nodesKey: string;
  limit: number;
  windowMs: number;
  /** How long after asking for a lease its turns may be spent, ms. */
  spendWithinMs: number;
  nodeId: string;
}

interface Lease {
  members: string[];
  /** Redis's clock when it granted the lease, ms. */
  redisNow: number;
  /** This node's clock when it asked (≤ Redis's grant, whatever the hop), ms. */
  askedAt: number;
}

/**
 * Turns under the global limit, spent locally.
 *
 * @example
 * ```ts
 * const stock = new GlobalRestStock(redis, { logKey, blockKey, nodesKey, limit: 50,
 *   windowMs: 1_050, spendWithinMs: 1_000, nodeId: "runtime-1" });
 * if ((await stock.take()) > 0) { … wait, ask again }
 * ```
 */
export class GlobalRestStock {
  readonly #redis: RedisClient;
  readonly #options: GlobalRestStockOptions;
  #lease: Lease | null = null;
  #granted = 0;
  #leasing: Promise<number> | null = null;
  #leases = 0;
  #settling: string[] = [];
  /** Whether a refill is due once the request that spent the turn has left. */
  #refillDue = false;
  /** The pending after-send work (settles, refill), null when none is scheduled. */
  #afterSend: Promise<void> | null = null;
  /** The settle script in flight, if any. */
  #settlingCall: Promise<void> | null = null;
  /** Failures of the background refills and settles (the next take asks again). */
  onError: (error: unknown) => void = () => {};

  constructor(redis: RedisClient, options: GlobalRestStockOptions) {
    this.#redis = redis;
    this.#options = options;
  }

  /** Takes a turn if one is free: 0 (taken), else how long to wait before asking again, ms. */
  async take(): Promise<number> {
    if (this.takeNow()) return 0;
    const wait = await (this.#leasing ??= this.#leaseMore());
    if (wait > 0) return wait;
    return this.take();
  }

  /** Spends a held turn if there is one (true), without waiting; else false: `take`. */
  takeNow(): boolean {
    const lease = this.#usable();
    if (!lease) return false;
    this.#spend(lease);
    return true;
  }

  /**
   * Settles the turns spent so far now, unless after-send work is already scheduled (it will):
   * called once the request that spent a turn is answered.
   */
  flush(): void {
    if (this.#afterSend || this.#settling.length === 0) return;
    this.#settleNow();
  }

  /** Gives back the unspent turns (a global 429: none may be spent while it runs). */
  drop(): void {
    this.#expire();
  }

  /** Resolves once the turns spent or given back so far are settled in Redis. */
  async settled(): Promise<void> {
    this.flush();
    while (this.#afterSend || this.#leasing || this.#settlingCall) {
      await this.#afterSend;
      await this.#leasing?.catch(() => {});
      await this.#settlingCall;
    }
  }

  /** Turns this node holds now (for tests and metrics). */
  get held(): number {
    return this.#usable()?.members.length ?? 0;
  }

  #usable(): Lease | null {
    const lease = this.#lease;
    if (lease && performance.now() >= lease.askedAt + this.#options.spendWithinMs) this.#expire();
    return this.#lease && this.#lease.members.length > 0 ? this.#lease : null;
  }

  #spend(lease: Lease): void {
    const member = lease.members.pop()!;
    // Redis's clock at the send is at most its grant time plus what elapsed here since asking.
    const sentAt = Math.ceil(lease.redisNow + performance.now() - lease.askedAt);
    // Settled by `flush` once the request is answered, or with the next after-send work: even
    // arming a timer here cost 30–40 µs on the request's path (a runtime node idle between
    // replies, measured in isolation).
    this.#settling.push(member, String(sentAt));
    // Half spent: refill in the background so the next requests find turns waiting.
    if (lease.members.length <= this.#granted / 2) {
      this.#refillDue = true;
      this.#scheduleAfterSend();
    }
  }

  #expire(): void {
    const lease = this.#lease;
    if (!lease) return;
    this.#lease = null;
    for (const member of lease.members) this.#settle(member, "");
  }

  async #leaseMore(): Promise<number> {
    const { logKey, blockKey, nodesKey, limit, windowMs, spendWithinMs, nodeId } = this.#options;
    const askedAt = performance.now();
    const prefix = `${nodeId}:${this.#leases++}:`;
    try {
      const answer = await this.#redis.eval(LEASE, {
        keys: [logKey, blockKey, nodesKey],
        arguments: [String(limit), String(windowMs), String(spendWithinMs), nodeId, prefix],
      }) as number[];
      if (Number(answer[0]) > 0) return Number(answer[0]);
      const members = Array.from({ length: Number(answer[2]) }, (_, i) => `${prefix}${i + 1}`);
      // The newer lease replaces what is left of the older one (given back).
      this.#expire();
      this.#lease = { members, redisNow: Number(answer[1]), askedAt };
      this.#granted = members.length;
      return 0;
    } finally {
      this.#leasing = null;
    }
  }

  #settle(member: string, sentAt: string): void {
    this.#settling.push(member, sentAt);
    this.#scheduleAfterSend();
  }

  /**
   * After the request is on its way: the refill if still due, and one script for every turn
   * spent or given back meanwhile.
   */
  #scheduleAfterSend(): void {
    if (this.#afterSend) return;
    this.#afterSend = new Promise<void>((resolve) => setTimeout(resolve, AFTER_SEND_MS)).then(
      async () => {
        this.#afterSend = null;
        const lease = this.#usable();
        if (this.#refillDue && this.#leasing === null) {
          // Still half spent (a take that found the stock empty has leased already).
          if (!lease || lease.members.length <= this.#granted / 2) {
            this.#leasing = this.#leaseMore();
            this.#leasing.catch(this.onError);
          }
        }
        this.#refillDue = false;
        await this.#settleNow();
      },
    );
  }

  /** One script for every turn spent or given back since the last. */
  #settleNow(): Promise<void> {
    const args = this.#settling;
    this.#settling = [];
    if (args.length === 0) return Promise.resolve();
    const call: Promise<void> = this.#redis.eval(SETTLE, {
      keys: [this.#options.logKey],
      arguments: args,
    }).then(() => {}, this.onError)
      .finally(() => {
        if (this.#settlingCall === call) this.#settlingCall = null;
      });
    this.#settlingCall = call;
    return call;
  }
}
