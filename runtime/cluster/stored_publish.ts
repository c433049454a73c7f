/**
 * A gateway node's publish of one event, tried again until JetStream confirms
 * it stored it. A publish whose ack is late or missing (a node starved for
 * seconds, nats-server restarting) may or may not have been stored; left
 * alone it was replayed only if its shard later resumed elsewhere, so on a
 * live node an event that was in fact not stored was lost. The event's id is
 * its `Nats-Msg-Id`, so trying again is safe: a copy already stored comes back
 * as a duplicate (nothing added) within the stream's duplicate window (2
 * minutes), which is why the tries stop well inside it. An event stored only
 * by a later try lands after its shard's later events (its guild's order
 * bends once, where before it was lost); docs/cluster.md "Delivery guarantee".
 *
 * @module
 */

/** When to try again and when to give up. */
export interface StoredPublishOptions {
  /** Wait before the first retry, doubled each time up to `maxRetryMs`. @default 250 */
  retryMs?: number;
  /** @default 4_000 */
  maxRetryMs?: number;
  /** Give up (rethrow the last error) once this long has passed since the first try. @default 60_000 */
  giveUpMs?: number;
  /** Stops the retries (the node is closing): the last error is rethrown. */
  signal?: AbortSignal;
  /** Told before each retry. */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `publish` until it resolves, waiting between tries as `options` say;
 * rethrows the last error once `giveUpMs` would be passed or `signal` aborts.
 *
 * @example
 * ```ts ignore
 * const published = await publishUntilStored(() => publisher.publish(event), {
 *   signal: closing.signal,
 *   onRetry: () => stats.retried++,
 * });
 * ```
 */
export async function publishUntilStored<T>(
  publish: () => Promise<T>,
  options: StoredPublishOptions = {},
): Promise<T> {
  const { retryMs = 250, maxRetryMs = 4_000, giveUpMs = 60_000, signal, onRetry } = options;
  if (!(retryMs > 0)) throw new RangeError(`retryMs must be positive, not ${retryMs}`);
  if (!(maxRetryMs >= retryMs)) {
    throw new RangeError(`maxRetryMs must be at least retryMs (${retryMs}), not ${maxRetryMs}`);
  }
  if (!(giveUpMs >= 0)) throw new RangeError(`giveUpMs must not be negative, not ${giveUpMs}`);
  const started = performance.now();
  let wait = retryMs;
  for (let attempt = 1;; attempt++) {
    try {
      return await publish();
    } catch (error) {
      if (signal?.aborted || performance.now() - started + wait > giveUpMs) throw error;
      onRetry?.(error, attempt);
      if (!await pause(wait, signal)) throw error;
      wait = Math.min(wait * 2, maxRetryMs);
    }
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (waited: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", aborted);
      resolve(waited);
    };
    const aborted = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener("abort", aborted, { once: true });
  });
}
