/**
 * The gauges the sandbox manager reports at scrape time: resident workers,
 * deployed guilds, queued and in-flight events, how long batches wait to start.
 *
 * @module
 */

import type { FloraMetrics } from "./metrics.ts";

/** Where each scheduling gauge reads its figure. */
export interface SchedulingFigures {
  resident(): number;
  deployed(): number;
  queued(): number;
  inflight(): number;
  /** Seconds. */
  startDelay(): number;
}

/**
 * Registers the scheduling gauges on `metrics`.
 *
 * @example
 * ```ts
 * registerSchedulingGauges(metrics, {
 *   resident: () => 3,
 *   deployed: () => 10,
 *   queued: () => 0,
 *   inflight: () => 1,
 *   startDelay: () => 0.002,
 * });
 * ```
 */
export function registerSchedulingGauges(metrics: FloraMetrics, figures: SchedulingFigures): void {
  metrics.gauge(
    "flora_workers_resident",
    "Workers currently running (resident guilds).",
    figures.resident,
  );
  metrics.gauge("flora_guilds_deployed", "Guilds with an active deployment.", figures.deployed);
  metrics.gauge("flora_events_queued", "Events waiting in guild queues.", figures.queued);
  metrics.gauge(
    "flora_events_inflight",
    "Events sent to workers and not yet finished.",
    figures.inflight,
  );
  metrics.gauge(
    "flora_sandbox_start_delay_seconds",
    "How long batches wait to start in the most backlogged sandbox process (recent mean).",
    figures.startDelay,
  );
}
