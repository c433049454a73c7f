/**
 * Counts Discord's 429 answers. Discordeno retries rate-limited requests
 * inside its REST queue, so callers never see them; its invalid-request
 * bucket does see every response status, so the count is taken there.
 *
 * @module
 */

import type { Counter } from "./metrics.ts";

/** The slice of Discordeno's REST manager that sees every response status. */
export interface StatusObservableRest {
  invalidBucket: { handleCompletedRequest(status: number, sharedScope: boolean): unknown };
}

/** Makes `counter` count every 429 the REST manager receives. */
export function countRateLimits(rest: StatusObservableRest, counter: Counter): void {
  const bucket = rest.invalidBucket;
  const original = bucket.handleCompletedRequest.bind(bucket);
  bucket.handleCompletedRequest = (status, sharedScope) => {
    if (status === 429) counter.inc();
    return original(status, sharedScope);
  };
}
