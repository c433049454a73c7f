/**
 * Puts a {@linkcode SharedRestLimits} in front of Discordeno's REST manager:
 * each request takes its turn in Redis just before Discordeno sends it (after
 * Discordeno's own per-process queue) and gives it back as soon as its answer
 * arrives (so it counts against the global limit until a window after that),
 * and each answer's rate-limit headers are shared before that queue sends the
 * bucket's next request. Retries of a 429 go through `sendRequest` again, so
 * they wait their turn too.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { connectRedis } from "../../storage/redis/connect.ts";
import { errorMessage } from "../../shared/error_message.ts";
import { type RestTurn, SharedRestLimits } from "./shared_rest_limits.ts";

/** The slice of Discordeno's REST manager the limits hook into. */
export interface LimitableRest {
  simplifyUrl(route: string, method: string): string;
  sendRequest(options: { route: string; method: string }): Promise<void>;
  processHeaders(url: string, headers: Headers, identifier?: string): unknown;
}

interface Sending {
  method: string;
  bucket: string;
  /** Its turn until its answer came (null: none, Redis failed, or answered). */
  turn: RestTurn | null;
  recorded?: Promise<void>;
}

/**
 * Makes every request of `rest` respect `limits`. When Redis fails, the
 * request goes anyway (Discordeno's own queue still paces this node) and
 * `onError` is told.
 *
 * @example
 * ```ts
 * shareRestLimits(bot.rest as unknown as LimitableRest, new SharedRestLimits(redis, { nodeId }),
 *   (error) => console.warn(`shared REST limits: ${error}`));
 * ```
 */
export function shareRestLimits(
  rest: LimitableRest,
  limits: SharedRestLimits,
  onError: (error: unknown) => void,
): void {
  limits.onBackgroundError = onError;
  const sending = new AsyncLocalStorage<Sending>();
  const send = rest.sendRequest.bind(rest);
  rest.sendRequest = async (options) => {
    const bucket = rest.simplifyUrl(options.route, options.method);
    const turn = limits.takeNow(bucket) ??
      await limits.acquire(options.method, bucket).catch((error) => {
        onError(error);
        return null;
      });
    const request: Sending = { method: options.method, bucket, turn };
    try {
      return await sending.run(request, () => send(options));
    } finally {
      // No answer (the network failed): the turn ends here.
      if (request.turn) limits.answered(request.turn);
      // No answer (the network failed): free the bucket in case this request was its probe.
      request.recorded ??= limits.record(options.method, bucket, new Headers()).catch(onError);
      // The bucket's next request (queued behind this one) must see what this answer said.
      await request.recorded;
    }
  };
  const processHeaders = rest.processHeaders.bind(rest);
  rest.processHeaders = (url, headers, identifier) => {
    const request = sending.getStore();
    if (request) {
      // Its answer is here (a 429's retry waits inside `send` with its own turn).
      if (request.turn) limits.answered(request.turn);
      request.turn = null;
      request.recorded = limits.record(request.method, request.bucket, headers).catch(onError);
    }
    return processHeaders(url, headers, identifier);
  };
}

/** What {@linkcode startSharedRestLimits} needs from the node's configuration. */
export interface SharedRestLimitsSetup {
  /** `REDIS_URL`; absent: limits stay per node (and `notice` says so). */
  redisUrl?: string;
  /** `FLORA_REDIS_PREFIX`. */
  prefix?: string;
  nodeId: string;
  notice(level: "info" | "warn", message: string): void;
}

/**
 * A cluster runtime node's shared REST limits: connects to Redis and hooks
 * them into `rest`. Resolves to the closer, or null without `REDIS_URL`.
 *
 * @example
 * ```ts
 * const shared = await startSharedRestLimits(bot.rest as unknown as LimitableRest, {
 *   redisUrl: config.storage.redisUrl, nodeId: config.nodeId, notice,
 * });
 * ```
 */
export async function startSharedRestLimits(
  rest: LimitableRest,
  setup: SharedRestLimitsSetup,
): Promise<{ close(): Promise<void> } | null> {
  if (setup.redisUrl === undefined) {
    setup.notice(
      "warn",
      "no REDIS_URL: Discord's REST limits are kept per node, so runtime nodes together may " +
        "exceed them (set REDIS_URL to share them; docs/cluster.md)",
    );
    return null;
  }
  const redis = await connectRedis(setup.redisUrl, {
    notice: (message) => setup.notice("warn", `shared REST limits: ${message}`),
  });
  let reportedAt = -Infinity;
  const limits = new SharedRestLimits(redis, { nodeId: setup.nodeId, prefix: setup.prefix });
  shareRestLimits(
    rest,
    limits,
    (error) => {
      // One line per 30 s while Redis fails: requests go on, paced by this node alone.
      if (performance.now() - reportedAt < 30_000) return;
      reportedAt = performance.now();
      setup.notice(
        "warn",
        `shared REST limits unavailable, pacing this node alone: ${errorMessage(error)}`,
      );
    },
  );
  return {
    async close() {
      limits.close();
      if (redis.isOpen) await redis.close();
    },
  };
}
