/**
 * Settles deployments a dead host left `pending`. A deploying host renews a
 * lease on its pending deployment; once the lease has run out, the deploy was
 * interrupted. If it had recorded its commands (the script loaded and the
 * switch had begun), the switch is finished: the deployment goes live, unless
 * a newer revision already is. Otherwise it is failed with the reason.
 *
 * @module
 */

import type { Deployment, DeploymentStore } from "../../storage/types.ts";
import { DEFAULT_DEPLOY_LEASE_MS } from "./deployer.ts";

/** What one sweep did, and when the next is due. */
export interface SweepResult {
  /** Deployments switched to (their commands were recorded before the host died). */
  finished: Deployment[];
  /** Deployments failed, each with `error` saying why. */
  failed: Deployment[];
  /** Pending deployments whose lease is still held (their host may be alive). */
  held: Deployment[];
  /** Ms until the earliest lease still held ends; null when nothing is pending. */
  nextInMs: number | null;
}

/** The store operations a sweep uses. */
export type RecoveryStore = Pick<
  DeploymentStore,
  "listPending" | "current" | "setStatus"
>;

/** Why a deploy that never reached its switch was failed. */
export const INTERRUPTED_LOADING =
  "interrupted: the host deploying it stopped before the script finished loading (it never went live); deploy again";
/** Why a deploy that reached its switch but was overtaken was failed. */
export const INTERRUPTED_SUPERSEDED =
  "interrupted: the host deploying it stopped during the switch, and a newer revision is live";

/**
 * Finishes or fails every pending deployment whose lease has run out.
 *
 * @example
 * ```ts
 * const { finished, failed, nextInMs } = await sweepInterruptedDeploys(storage.deployments);
 * ```
 */
export async function sweepInterruptedDeploys(
  store: RecoveryStore,
  options: { leaseMs?: number; now?: number } = {},
): Promise<SweepResult> {
  const { leaseMs = DEFAULT_DEPLOY_LEASE_MS, now = Date.now() } = options;
  const result: SweepResult = { finished: [], failed: [], held: [], nextInMs: null };
  for (const deployment of await store.listPending()) {
    // Never renewed (the host died right after create): the lease counts from creation.
    const leaseEnd = deployment.leaseUntil !== undefined
      ? Date.parse(deployment.leaseUntil)
      : Date.parse(deployment.updatedAt) + leaseMs;
    if (leaseEnd > now) {
      const wait = leaseEnd - now;
      result.held.push(deployment);
      result.nextInMs = result.nextInMs === null ? wait : Math.min(result.nextInMs, wait);
      continue;
    }
    if (deployment.commands === undefined) {
      result.failed.push(await store.setStatus(deployment.id, "failed", INTERRUPTED_LOADING));
      continue;
    }
    const live = await store.current(deployment.guildId);
    if (live !== null && live.revision > deployment.revision) {
      result.failed.push(await store.setStatus(deployment.id, "failed", INTERRUPTED_SUPERSEDED));
    } else {
      result.finished.push(await store.setStatus(deployment.id, "active"));
    }
  }
  return result;
}

/** What the sweeper reports; each callback runs once per settled deployment. */
export interface SweeperHandlers {
  finished(deployment: Deployment): Promise<void> | void;
  failed(deployment: Deployment): Promise<void> | void;
  /** A sweep or a handler failed; the sweeper tries again after a lease. */
  error(error: unknown): void;
}

/**
 * Sweeps at start, then again whenever a lease still held would have run
 * out, until nothing is pending (a deploy that starts later is its own
 * host's to finish; the next start sweeps it if that host dies).
 *
 * @example
 * ```ts
 * const sweeper = new InterruptedDeploySweeper(storage.deployments, 30_000, handlers);
 * await sweeper.start();
 * // … at shutdown:
 * sweeper.close();
 * ```
 */
export class InterruptedDeploySweeper {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    readonly store: RecoveryStore,
    readonly leaseMs: number,
    readonly handlers: SweeperHandlers,
  ) {}

  /** Runs the first sweep; resolves once what it found is settled and reported. */
  async start(): Promise<SweepResult | null> {
    return await this.#sweep();
  }

  async #sweep(): Promise<SweepResult | null> {
    this.#timer = undefined;
    if (this.#closed) return null;
    let result: SweepResult | null = null;
    try {
      result = await sweepInterruptedDeploys(this.store, { leaseMs: this.leaseMs });
      for (const d of result.finished) await this.handlers.finished(d);
      for (const d of result.failed) await this.handlers.failed(d);
    } catch (error) {
      this.handlers.error(error);
    }
    const next = result === null ? this.leaseMs : result.nextInMs;
    // A little past the lease's end, so the holder's last renewal is seen if it made one.
    if (next !== null && !this.#closed) {
      this.#timer = setTimeout(() => void this.#sweep(), next + 250);
    }
    return result;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
