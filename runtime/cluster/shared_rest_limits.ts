/**
 * Discord's REST limits shared by every node of a cluster through Redis.
 * Discordeno's REST manager keeps its rate-limit queue per process; two
 * runtime nodes with one bot token would each spend the whole allowance. Here
 * every request first takes its turn, in one Lua script per step so nodes
 * never race:
 *
 * - **global**: at most `globalPerSecond` requests in any `windowMs` across the
 *   cluster (a sliding log on Redis's clock, in which each request counts from
 *   its turn until its answer, then for a window: Discord counts it somewhere
 *   in between), and none while a global 429's `retry_after` runs. Turns are
 *   leased a few at a time ({@linkcode GlobalRestStock}), so most requests take
 *   one without asking Redis;
 * - **route buckets of a guild, channel or webhook** (`/guilds/…`,
 *   `/channels/…`, `/webhooks/…`) stay in Discordeno's own per-process queue:
 *   a script reaches only its own guild's channels and a guild runs on the node
 *   owning its partition (interaction follow-ups too), so one node at a time
 *   uses them. A node that takes a guild over starts its buckets unknown, so
 *   its first request on each goes alone and learns the remaining from Discord;
 * - **other route buckets** (method + route with its major parameter, as
 *   Discordeno keys its queues; e.g. `/applications/…`, which command syncs on
 *   any node use): Discord's `X-RateLimit-Remaining` / `Reset-After` are
 *   shared. When a bucket's window is unknown or over, one request (the probe)
 *   goes alone and its answer opens the next window for every node; within a
 *   window each request takes one of the remaining; a 429 closes the bucket
 *   until its `retry_after`.
 *
 * Interaction callbacks (`/interactions/…`) are outside the bot's limits and
 * pass untouched; webhook routes (interaction follow-ups) are outside the
 * global limit but keep their buckets.
 *
 * @module
 */

import type { RedisClient } from "../../storage/redis/connect.ts";
import { GlobalRestStock, IN_FLIGHT_RETRY_MS } from "./global_rest_stock.ts";

// KEYS: global log, global block, route bucket.
// ARGV: global limit, window ms, counts globally (1/0), probe ms, unique member, in flight ms
// (the member's score ahead of now, until the answer rescores it).
// Returns 0 when the request may go now, else how long to wait (ms) before asking again.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window, probeMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[3], 'remaining', 'resetAt', 'probeUntil')
local remaining, resetAt, probeUntil = tonumber(b[1]), tonumber(b[2]), tonumber(b[3] or '0')
local action = 'take'
local wait = 0
if probeUntil > now then
  wait = math.min(probeUntil - now, 20)
elseif resetAt ~= nil and now < resetAt then
  if remaining == nil or remaining <= 0 then wait = resetAt - now end
else
  action = 'probe'
end
if wait == 0 and ARGV[3] == '1' then
  local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now < blocked then
    wait = blocked - now
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
    if redis.call('ZCARD', KEYS[1]) >= limit then
      local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
      if tonumber(oldest[2]) > now then
        wait = ${IN_FLIGHT_RETRY_MS}
      else
        wait = math.max(1, tonumber(oldest[2]) + window - now + 1)
      end
    end
  end
end
if wait > 0 then return wait end
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[6]), ARGV[5])
  redis.call('PEXPIRE', KEYS[1], window * 2 + tonumber(ARGV[6]))
end
if action == 'probe' then
  redis.call('HSET', KEYS[3], 'probeUntil', now + probeMs)
  redis.call('PEXPIRE', KEYS[3], probeMs + 60000)
else
  redis.call('HINCRBY', KEYS[3], 'remaining', -1)
end
return 0
`;

// KEYS: route bucket, global block.
// ARGV: remaining ('' when absent), reset-after ms ('' when absent), global retry-after ms ('' unless a global 429).
const RECORD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[3] ~= '' then
  local untilMs = now + tonumber(ARGV[3])
  if untilMs > tonumber(redis.call('GET', KEYS[2]) or '0') then
    redis.call('SET', KEYS[2], untilMs, 'PX', tonumber(ARGV[3]) + 1000)
  end
end
if ARGV[1] == '' or ARGV[2] == '' then
  redis.call('HSET', KEYS[1], 'probeUntil', 0)
  return 0
end
local remaining, resetAt = tonumber(ARGV[1]), now + tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'remaining', 'resetAt', 'probeUntil')
local storedRemaining, storedReset = tonumber(b[1]), tonumber(b[2])
if tonumber(b[3] or '0') > 0 or storedReset == nil or now >= storedReset then
  -- The probe's answer (or the first news of a new window) opens the window.
  redis.call('HSET', KEYS[1], 'remaining', remaining, 'resetAt', resetAt, 'probeUntil', 0)
else
  -- Within a window answers only close it further (they may arrive out of order).
  redis.call('HSET', KEYS[1], 'remaining', math.min(remaining, storedRemaining or remaining),
    'resetAt', math.max(resetAt, storedReset))
end
redis.call('PEXPIRE', KEYS[1], math.max(resetAt - now, 0) + 60000)
return 1
`;

// KEYS: global block. ARGV: global retry-after ms.
const BLOCK = `
local t = redis.call('TIME')
local untilMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
if untilMs > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]) + 1000)
end
return 0
`;

/** Limits shared by every node using the same Redis and prefix. */
export interface SharedRestLimitsOptions {
  /**
   * Requests per window across the cluster (Discord's global limit).
   * @default 50
   */
  globalPerSecond?: number;
  /**
   * The global window, ms: how long a request still counts after its answer (a little over
   * Discord's second).
   * @default 1_050
   */
  windowMs?: number;
  /**
   * How long other requests of a bucket wait for its probe's answer before sending their own, ms.
   * @default 3_000
   */
  probeMs?: number;
  /**
   * How long a leased global turn may wait to be spent, ms (see {@linkcode GlobalRestStock}).
   * @default 1_000
   */
  spendWithinMs?: number;
  /**
   * How far ahead a request's entry is scored while it is in flight, ms; one still unanswered
   * after half of it is moved on (see {@linkcode GlobalRestStock}).
   * @default 2_000
   */
  inFlightMs?: number;
  /**
   * Keep guild, channel and webhook buckets in this node's own queue (see the module doc);
   * false shares every bucket in Redis.
   * @default true
   */
  localBuckets?: boolean;
  /** Names this node's entries in the global log. */
  nodeId: string;
  /**
   * Key prefix (the storage's `FLORA_REDIS_PREFIX`).
   * @default "flora:"
   */
  prefix?: string;
}

/**
 * A request's turn, given back to {@linkcode SharedRestLimits.answered} once Discord answered it:
 * its entry in the global log (null when it counts against no global limit).
 */
export interface RestTurn {
  readonly member: string | null;
}

/** The turn of a request outside the global limit. */
const NO_GLOBAL_TURN: RestTurn = { member: null };

/** Routes whose buckets one node at a time uses (see the module doc). */
const LOCAL_BUCKET = /^\/(guilds|channels|webhooks)\//;

/** Whether a route counts against the global limit, and its bucket is shared (see the module doc). */
function scopeOf(
  route: string,
  localBuckets: boolean,
): { global: boolean; sharedBucket: boolean } {
  if (route.startsWith("/interactions/")) return { global: false, sharedBucket: false };
  return {
    global: !route.startsWith("/webhooks/"),
    sharedBucket: !(localBuckets && LOCAL_BUCKET.test(route)),
  };
}

/**
 * The shared limiter. `acquire` before each request is sent, `record` with
 * each response's headers.
 *
 * @example
 * ```ts
 * const limits = new SharedRestLimits(redis, { nodeId: "runtime-1" });
 * await limits.acquire("POST", "/channels/1/x");
 * // … send, then:
 * await limits.record("POST", "/channels/1/x", response.headers);
 * ```
 */
export class SharedRestLimits {
  readonly #redis: RedisClient;
  readonly #global: number;
  readonly #windowMs: number;
  readonly #probeMs: number;
  readonly #nodeId: string;
  readonly #prefix: string;
  readonly #localBuckets: boolean;
  readonly #stock: GlobalRestStock;
  readonly #inFlightMs: number;
  #sent = 0;
  /** Time spent waiting for a turn, ms (how much the shared limits held this node back). */
  waitedMs = 0;

  constructor(redis: RedisClient, options: SharedRestLimitsOptions) {
    const {
      globalPerSecond = 50,
      windowMs = 1_050,
      probeMs = 3_000,
      spendWithinMs = 1_000,
      inFlightMs = 2_000,
      prefix = "flora:",
    } = options;
    const settings = { globalPerSecond, windowMs, probeMs, spendWithinMs, inFlightMs };
    for (const [name, value] of Object.entries(settings)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`SharedRestLimits: ${name} must be a positive integer, got ${value}`);
      }
    }
    this.#redis = redis;
    this.#global = globalPerSecond;
    this.#windowMs = windowMs;
    this.#probeMs = probeMs;
    this.#nodeId = options.nodeId;
    this.#prefix = `${prefix}rest:`;
    this.#localBuckets = options.localBuckets ?? true;
    this.#inFlightMs = inFlightMs;
    this.#stock = new GlobalRestStock(redis, {
      logKey: this.#key("global"),
      blockKey: this.#key("global-block"),
      nodesKey: this.#key("global-nodes"),
      limit: globalPerSecond,
      windowMs,
      spendWithinMs,
      inFlightMs,
      nodeId: options.nodeId,
    });
  }

  /** Told of failures off the request's path (refilling or settling leased global turns). */
  set onBackgroundError(onError: (error: unknown) => void) {
    this.#stock.onError = onError;
  }

  /** Resolves once this node's spent and given-back global turns are settled in Redis. */
  settled(): Promise<void> {
    return this.#stock.settled();
  }

  /** Global turns this node holds, leased and unspent. */
  get heldGlobalTurns(): number {
    return this.#stock.held;
  }

  /**
   * Resolves with this request's turn once it may be sent (its bucket and the global limit allow
   * it); give the turn back to {@linkcode answered}.
   */
  async acquire(method: string, route: string): Promise<RestTurn> {
    const started = performance.now();
    let turn;
    while (typeof (turn = await this.tryAcquire(method, route)) === "number") {
      const wait = turn;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.waitedMs += performance.now() - started;
    return turn;
  }

  /**
   * Takes a turn at hand without waiting: for a guild, channel or webhook route whose global
   * turn (if it needs one) this node holds; else null, and {@linkcode acquire} must be awaited.
   * The common request skips `acquire`'s chain of awaits.
   */
  takeNow(route: string): RestTurn | null {
    const scope = scopeOf(route, this.#localBuckets);
    if (scope.sharedBucket) return null;
    if (!scope.global) return NO_GLOBAL_TURN;
    const member = this.#stock.takeNow();
    return member === null ? null : { member };
  }

  /** The request of `turn` was answered (or failed): its entry counts a window from now on. */
  answered(turn: RestTurn): void {
    if (turn.member !== null) this.#stock.answered(turn.member);
  }

  /** Stops the timer that moves on the entries of requests long in flight. */
  close(): void {
    this.#stock.close();
  }

  /**
   * Takes a turn if one is free now (give it back to {@linkcode answered}), else how long to wait
   * before asking again, ms.
   */
  async tryAcquire(method: string, route: string): Promise<RestTurn | number> {
    const scope = scopeOf(route, this.#localBuckets);
    if (!scope.sharedBucket) {
      if (!scope.global) return NO_GLOBAL_TURN;
      const taken = await this.#stock.take();
      return typeof taken === "number" ? taken : { member: taken };
    }
    const member = `${this.#nodeId}:${this.#sent++}`;
    const wait = Number(
      await this.#redis.eval(ACQUIRE, {
        keys: [this.#key("global"), this.#key("global-block"), this.#bucketKey(method, route)],
        arguments: [
          String(this.#global),
          String(this.#windowMs),
          scope.global ? "1" : "0",
          String(this.#probeMs),
          member,
          String(this.#inFlightMs),
        ],
      }),
    );
    if (wait > 0) return wait;
    if (!scope.global) return NO_GLOBAL_TURN;
    this.#stock.sent(member);
    return { member };
  }

  /** Shares what Discord's answer says about the bucket (and a global 429's retry time). */
  async record(method: string, route: string, headers: Headers): Promise<void> {
    const scope = scopeOf(route, this.#localBuckets);
    const global = headers.get("x-ratelimit-global") !== null;
    const retryAfter = Number(headers.get("retry-after"));
    if (global) this.#stock.drop();
    if (!scope.sharedBucket) {
      // Discordeno's own queue keeps the bucket; only a global 429 concerns the other nodes.
      if (global && Number.isFinite(retryAfter)) {
        await this.#redis.eval(BLOCK, {
          keys: [this.#key("global-block")],
          arguments: [String(Math.ceil(retryAfter * 1000))],
        });
      }
      return;
    }
    const remaining = headers.get("x-ratelimit-remaining") ?? "";
    const resetAfter = headers.get("x-ratelimit-reset-after");
    await this.#redis.eval(RECORD, {
      keys: [this.#bucketKey(method, route), this.#key("global-block")],
      arguments: [
        remaining,
        resetAfter === null ? "" : String(Math.ceil(Number(resetAfter) * 1000)),
        global && Number.isFinite(retryAfter) ? String(Math.ceil(retryAfter * 1000)) : "",
      ],
    });
  }

  #key(name: string): string {
    return `${this.#prefix}${name}`;
  }

  #bucketKey(method: string, route: string): string {
    return this.#key(`bucket:${method} ${route}`);
  }
}
