/**
 * Discord-style rate limits: per-route buckets keyed by the major parameter
 * (channel, guild, webhook), a global per-bot limit, X-RateLimit-* headers on
 * every response and 429s with `retry_after`. Also carries injected faults
 * (forced 429/5xx on a route) because they act at the same point.
 *
 * @module
 */

import { DiscordError } from "../errors.ts";

/** A bucket's allowance: `limit` requests per `windowMs`. */
export interface BucketRule {
  limit: number;
  windowMs: number;
}

export interface RateLimitOptions {
  /** false disables all limits (headers are still sent). Default true. */
  enabled?: boolean;
  /** Requests per second across all authenticated routes (Discord: 50). */
  globalPerSecond?: number;
  /** Overrides by route label, e.g. `{"POST /channels/:id/messages": {limit: 5, windowMs: 5000}}`. */
  routes?: Record<string, BucketRule>;
}

/** A forced failure on a route, for testing clients' error handling. */
export interface RouteFault {
  /** Route label ("POST /channels/:id/messages") or "*" for every route. */
  route: string;
  /** 429 (answered as a real rate limit) or any 4xx/5xx. */
  status: number;
  /** How many requests fail before the route recovers (default 1). */
  count: number;
  /** retry_after in seconds for injected 429s (default 0.1). */
  retryAfter?: number;
}

/** Limits Discord documents or that are widely observed. */
const DEFAULT_RULES: Record<string, BucketRule> = {
  "POST /channels/:id/messages": { limit: 5, windowMs: 5000 },
  "PATCH /channels/:id/messages/:id": { limit: 5, windowMs: 5000 },
  "DELETE /channels/:id/messages/:id": { limit: 5, windowMs: 1000 },
  "PUT /channels/:id/messages/:id/reactions/:id/@me": { limit: 1, windowMs: 250 },
};
const DEFAULT_RULE: BucketRule = { limit: 50, windowMs: 1000 };
/** Routes outside the bot's limits: interaction callbacks are not rate limited. */
const EXEMPT = new Set(["POST /interactions/:id/:token/callback"]);

interface Bucket {
  remaining: number;
  resetAt: number;
}

export interface TakeResult {
  headers: Record<string, string>;
  error?: DiscordError;
}

/** Tracks buckets and the global limit; `take` is called once per request. */
export class RateLimiter {
  readonly faults: RouteFault[] = [];
  #options: Required<Omit<RateLimitOptions, "routes">> & { routes: Record<string, BucketRule> };
  #buckets = new Map<string, Bucket>();
  #global: Bucket = { remaining: 0, resetAt: 0 };

  constructor(options: RateLimitOptions = {}) {
    this.#options = {
      enabled: options.enabled ?? true,
      globalPerSecond: options.globalPerSecond ?? 50,
      routes: { ...DEFAULT_RULES, ...options.routes },
    };
  }

  /** Changes limits at run time (e.g. a benchmark turning them off); resets buckets. */
  configure(options: RateLimitOptions): void {
    if (options.enabled !== undefined) this.#options.enabled = options.enabled;
    if (options.globalPerSecond !== undefined) {
      this.#options.globalPerSecond = options.globalPerSecond;
    }
    if (options.routes) this.#options.routes = { ...this.#options.routes, ...options.routes };
    this.#buckets.clear();
    this.#global = { remaining: 0, resetAt: 0 };
  }

  /** Consumes one request from the route's bucket (and the global one). */
  take(label: string, params: Record<string, string>, countsGlobally: boolean): TakeResult {
    const fault = this.#takeFault(label);
    if (fault) return fault;
    if (EXEMPT.has(label)) return { headers: {} };
    const now = Date.now();
    const rule = this.#options.routes[label] ?? DEFAULT_RULE;
    const major = params.channel_id ?? params.guild_id ??
      (params.webhook_id ? `${params.webhook_id}/${params.token}` : "");
    const key = `${label}|${major}`;
    let bucket = this.#buckets.get(key);
    if (!bucket || now >= bucket.resetAt) {
      bucket = { remaining: rule.limit, resetAt: now + rule.windowMs };
      this.#buckets.set(key, bucket);
    }
    const bucketId = hash(label);
    const resetAfter = Math.max(0, bucket.resetAt - now) / 1000;
    const headers: Record<string, string> = {
      "x-ratelimit-limit": String(rule.limit),
      "x-ratelimit-bucket": bucketId,
      "x-ratelimit-reset": (bucket.resetAt / 1000).toFixed(3),
      "x-ratelimit-reset-after": resetAfter.toFixed(3),
    };
    if (!this.#options.enabled) {
      headers["x-ratelimit-remaining"] = String(rule.limit);
      return { headers };
    }
    if (countsGlobally) {
      if (now >= this.#global.resetAt) {
        this.#global = { remaining: this.#options.globalPerSecond, resetAt: now + 1000 };
      }
      if (this.#global.remaining <= 0) {
        const retryAfter = (this.#global.resetAt - now) / 1000;
        return { headers, error: tooMany(retryAfter, true, headers) };
      }
    }
    if (bucket.remaining <= 0) {
      headers["x-ratelimit-remaining"] = "0";
      return { headers, error: tooMany(resetAfter, false, headers) };
    }
    bucket.remaining--;
    if (countsGlobally) this.#global.remaining--;
    headers["x-ratelimit-remaining"] = String(bucket.remaining);
    return { headers };
  }

  #takeFault(label: string): TakeResult | undefined {
    const index = this.faults.findIndex((f) => f.route === label || f.route === "*");
    if (index === -1) return undefined;
    const fault = this.faults[index];
    if (--fault.count <= 0) this.faults.splice(index, 1);
    if (fault.status === 429) {
      const retryAfter = fault.retryAfter ?? 0.1;
      const headers = {
        "x-ratelimit-limit": "1",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-bucket": hash(label),
        "x-ratelimit-reset": ((Date.now() + retryAfter * 1000) / 1000).toFixed(3),
        "x-ratelimit-reset-after": retryAfter.toFixed(3),
      };
      return { headers, error: tooMany(retryAfter, false, headers) };
    }
    const message = fault.status >= 500
      ? `${fault.status}: Internal Server Error`
      : "Injected fault";
    return { headers: {}, error: new DiscordError(fault.status, { message, code: 0 }) };
  }
}

function tooMany(retryAfter: number, global: boolean, headers: Record<string, string>) {
  const error = new DiscordError(429, { message: "You are being rate limited.", code: 0 });
  error.body.retry_after = Number(retryAfter.toFixed(3));
  error.body.global = global;
  error.headers = {
    ...headers,
    "retry-after": String(Math.ceil(retryAfter)),
    "x-ratelimit-scope": global ? "global" : "user",
  };
  if (global) error.headers["x-ratelimit-global"] = "true";
  return error;
}

/** A stable opaque bucket id per route (Discord's are opaque hashes too). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
