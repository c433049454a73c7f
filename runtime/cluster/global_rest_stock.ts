/**
 * A node's stock of turns under Discord's global REST limit, leased from the
 * cluster's sliding log in Redis a few at a time, so most requests spend a
 * turn without a Redis round trip.
 *
 * A lease of k turns (k = limit / (4 × nodes that leased in the last 10 s), at
 * least 1) is one Lua call: it adds k entries to the log scored `now + ε + F`
 * (on Redis's clock; ε: the latest moment they may be spent, F: how long a
 * request may be in flight), and grants them only while the log holds fewer
 * than `limit` entries scored within the window. Discord counts a request when
 * it arrives, somewhere between its turn and its answer; so an entry must count
 * until a window past the answer, not past the send (a request delayed on a
 * busy machine, or by a Discord slow to read it, would otherwise be counted in
 * a window the log has already closed). A turn is spent only within ε of the
 * lease being asked for (this node's clock, so before `now + ε` on Redis's
 * whatever the hop); once its request is answered, off the request's path,
 * its entry is rescored to Redis's clock at that moment (later than the
 * answer), and an unspent expired one is removed. A request still in flight
 * after F / 2 has its entry moved on to `now + F` every F / 2 (a timer that
 * runs only while requests are in flight), so the log counts every request
 * from its turn until a window after its answer, however late. A lease is
 * refilled in the background when half the stock is spent. Neither runs while
 * the request that spent the turn is being sent, so their Redis calls do not
 * share the node's event loop (and the machine's CPUs) with it: settles wait
 * for its answer ({@linkcode answered}), refills {@linkcode AFTER_SEND_MS}.
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

/**
 * How long a request waits before asking again when the log is full and its oldest entry is
 * still in flight, ms: that entry is rescored at its answer, usually well before its score (up
 * to ε + F ahead), which a wait until its score plus a window would sit out (a 300-request run
 * once took 10.3 s instead of 5.4-6.5).
 */
export const IN_FLIGHT_RETRY_MS = 50;

// KEYS: global log, global block, leasing nodes.
// ARGV: global limit, window ms, ε + F ms, node id, member prefix.
// Returns {wait ms} when none is free, else {0, Redis now ms, granted}.
const LEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[3], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 10000)
redis.call('PEXPIRE', KEYS[3], 20000)
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < blocked then return {blocked - now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local free = limit - redis.call('ZCARD', KEYS[1])
if free <= 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  -- The oldest still in flight (or unspent): it is rescored when answered, so ask again soon.
  if tonumber(oldest[2]) > now then return {${IN_FLIGHT_RETRY_MS}} end
  return {math.max(1, tonumber(oldest[2]) + window - now + 1)}
end
local k = math.max(1, math.floor(limit / (4 * redis.call('ZCARD', KEYS[3]))))
local granted = math.min(k, free)
for i = 1, granted do
  redis.call('ZADD', KEYS[1], now + hold, ARGV[5] .. i)
end
redis.call('PEXPIRE', KEYS[1], window * 2 + hold)
return {0, now, granted}
`;

// KEYS: global log. ARGV: pairs of member and what became of it: 'answered' (rescored to
// Redis's clock now, which is after the answer), 'unspent' (removed), or a number of ms (still
// in flight: counted until at least now + that).
const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local longest = 0
for i = 1, #ARGV, 2 do
  local state = ARGV[i + 1]
  if state == 'unspent' then
    redis.call('ZREM', KEYS[1], ARGV[i])
  elseif state == 'answered' then
    redis.call('ZADD', KEYS[1], 'XX', now, ARGV[i])
  else
    redis.call('ZADD', KEYS[1], 'XX', 'GT', now + tonumber(state), ARGV[i])
    longest = math.max(longest, tonumber(state))
  end
end
if longest > 0 and redis.call('PTTL', KEYS[1]) < longest + 2000 then
  redis.call('PEXPIRE', KEYS[1], longest + 2000)
end
return 0
`;

/** What a settle does with an entry (see SETTLE). */
type Settlement = "answered" | "unspent" | `${number}`;

/** Keys and settings of the stock (shared with {@linkcode SharedRestLimits}'s own script). */
export interface GlobalRestStockOptions {
  logKey: string;
  blockKey: string;
  nodesKey: string;
  limit: number;
  windowMs: number;
  /** How long after asking for a lease its turns may be spent, ms. */
  spendWithinMs: number;
  /**
   * How long a request's entry counts while it is in flight before it is moved on, ms: the
   * entry is scored this far ahead and, while unanswered, moved on every half of it.
   */
  inFlightMs: number;
  nodeId: string;
}

interface Lease {
  members: string[];
  /** This node's clock when it asked (≤ Redis's grant, whatever the hop), ms. */
  askedAt: number;
}

/**
 * Turns under the global limit, spent locally.
 *
 * @example
 * ```ts
 * const stock = new GlobalRestStock(redis, { logKey, blockKey, nodesKey, limit: 50,
 *   windowMs: 1_050, spendWithinMs: 1_000, inFlightMs: 2_000, nodeId: "runtime-1" });
 * const turn = await stock.take();
 * if (typeof turn === "number") { … wait that long, ask again }
 * else { … send, then once answered: stock.answered(turn) }
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
  /** Entries of requests sent and not yet answered, with when they were sent (this clock). */
  #inFlight = new Map<string, number>();
  /** Moves on the entries of requests long in flight, while there are any. */
  #watch: ReturnType<typeof setInterval> | null = null;
  #closed = false;
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

  /**
   * Takes a turn if one is free: its entry (for {@linkcode answered}), else how long to wait
   * before asking again, ms.
   */
  async take(): Promise<string | number> {
    const member = this.takeNow();
    if (member !== null) return member;
    const wait = await (this.#leasing ??= this.#leaseMore());
    if (wait > 0) return wait;
    return this.take();
  }

  /** Spends a held turn if there is one (its entry), without waiting; else null: `take`. */
  takeNow(): string | null {
    const lease = this.#usable();
    if (!lease) return null;
    return this.#spend(lease);
  }

  /**
   * Counts `member`, an entry added to the log by another script (scored at least
   * `inFlightMs` ahead), as a request in flight until {@linkcode answered}.
   */
  sent(member: string): void {
    this.#inFlight.set(member, performance.now());
    this.#arm();
  }

  /**
   * The request that spent `member` was answered (or failed): its entry is rescored to Redis's
   * clock, now unless after-send work is already scheduled (it will be then).
   */
  answered(member: string): void {
    if (!this.#inFlight.delete(member)) return;
    this.#settling.push(member, "answered");
    if (this.#afterSend) return;
    this.#settleNow();
  }

  /** Stops the watch (the node is closing; its entries expire in Redis on their own). */
  close(): void {
    this.#closed = true;
    if (this.#watch !== null) clearInterval(this.#watch);
    this.#watch = null;
  }

  /** Gives back the unspent turns (a global 429: none may be spent while it runs). */
  drop(): void {
    this.#expire();
  }

  /** Resolves once the turns answered or given back so far are settled in Redis. */
  async settled(): Promise<void> {
    if (!this.#afterSend && this.#settling.length > 0) this.#settleNow();
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

  #spend(lease: Lease): string {
    const member = lease.members.pop()!;
    // Settled by `answered` once the request is answered: even arming a timer here cost 30–40
    // µs on the request's path (a runtime node idle between replies, measured in isolation); the
    // watch is armed once while requests keep going.
    this.sent(member);
    // Half spent: refill in the background so the next requests find turns waiting.
    if (lease.members.length <= this.#granted / 2) {
      this.#refillDue = true;
      this.#scheduleAfterSend();
    }
    return member;
  }

  /** Runs the watch (moving on entries in flight, giving back an expired lease) unless it runs. */
  #arm(): void {
    if (this.#watch !== null || this.#closed) return;
    const watch = setInterval(() => this.#moveOn(), this.#options.inFlightMs / 2);
    Deno.unrefTimer(Number(watch));
    this.#watch = watch;
  }

  /** Moves on the entries of requests in flight longer than half their allowance. */
  #moveOn(): void {
    this.#usable(); // gives back a lease left unspent past ε, also on an idle node
    if (this.#inFlight.size === 0 && this.#lease === null && this.#watch !== null) {
      clearInterval(this.#watch);
      this.#watch = null;
      return;
    }
    const half = this.#options.inFlightMs / 2;
    const now = performance.now();
    let due = false;
    for (const [member, sentAt] of this.#inFlight) {
      if (now - sentAt < half) continue;
      this.#settling.push(member, String(this.#options.inFlightMs));
      due = true;
    }
    if (due && !this.#afterSend) this.#settleNow();
  }

  #expire(): void {
    const lease = this.#lease;
    if (!lease) return;
    this.#lease = null;
    for (const member of lease.members) this.#settle(member, "unspent");
  }

  async #leaseMore(): Promise<number> {
    const { logKey, blockKey, nodesKey, limit, windowMs, spendWithinMs, inFlightMs, nodeId } =
      this.#options;
    const askedAt = performance.now();
    const prefix = `${nodeId}:${this.#leases++}:`;
    try {
      const answer = await this.#redis.eval(LEASE, {
        keys: [logKey, blockKey, nodesKey],
        arguments: [
          String(limit),
          String(windowMs),
          String(spendWithinMs + inFlightMs),
          nodeId,
          prefix,
        ],
      }) as number[];
      if (Number(answer[0]) > 0) return Number(answer[0]);
      const members = Array.from({ length: Number(answer[2]) }, (_, i) => `${prefix}${i + 1}`);
      // The newer lease replaces what is left of the older one (given back).
      this.#expire();
      this.#lease = { members, askedAt };
      this.#granted = members.length;
      this.#arm(); // to give the lease back if it is not spent in time
      return 0;
    } finally {
      this.#leasing = null;
    }
  }

  #settle(member: string, settlement: Settlement): void {
    this.#settling.push(member, settlement);
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
