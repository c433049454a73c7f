/**
 * Counts Discord's 429 answers, in total and per guild. Discordeno retries
 * rate-limited requests inside its REST queue, so callers never see them;
 * its invalid-request bucket does see every response status, so the count
 * is taken there. A request is charged to the guild whose operation made it
 * (`requestingGuild`, set by `DiscordOperations`): the guild is noted when
 * the request enters the queue and restored when the queue sends it, since
 * the queue sends on behalf of whichever caller started it.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import type { Counter } from "./metrics.ts";

/** The guild an operation runs for, while its Discord requests are made. */
export const requestingGuild = new AsyncLocalStorage<string>();

/** The slice of Discordeno's REST manager that sees every request and response status. */
export interface StatusObservableRest {
  invalidBucket: { handleCompletedRequest(status: number, sharedScope: boolean): unknown };
  processRequest?(request: object): Promise<void>;
  sendRequest?(request: object): Promise<void>;
}

/**
 * Makes `counter` count every 429 the REST manager receives, and calls
 * `onGuild` with the guild whose operation received it (when one did).
 *
 * @example
 * ```ts
 * countRateLimits(bot.rest as unknown as StatusObservableRest, metrics.restRateLimited,
 *   (guildId) => metrics.usage.add(guildId, "discord429"));
 * ```
 */
export function countRateLimits(
  rest: StatusObservableRest,
  counter: Counter,
  onGuild?: (guildId: string) => void,
): void {
  const bucket = rest.invalidBucket;
  const original = bucket.handleCompletedRequest.bind(bucket);
  bucket.handleCompletedRequest = (status, sharedScope) => {
    if (status === 429) {
      counter.inc();
      const guildId = requestingGuild.getStore();
      if (guildId !== undefined) onGuild?.(guildId);
    }
    return original(status, sharedScope);
  };
  const processRequest = rest.processRequest?.bind(rest);
  const sendRequest = rest.sendRequest?.bind(rest);
  if (!processRequest || !sendRequest) return;
  const owners = new WeakMap<object, string>();
  rest.processRequest = (request) => {
    const guildId = requestingGuild.getStore();
    if (guildId !== undefined) owners.set(request, guildId);
    return processRequest(request);
  };
  rest.sendRequest = (request) => {
    const guildId = owners.get(request);
    return guildId === undefined
      ? requestingGuild.exit(() => sendRequest(request))
      : requestingGuild.run(guildId, () => sendRequest(request));
  };
}
