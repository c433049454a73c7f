/**
 * A gateway node's own `GET /metrics` (it serves no API): what it published to
 * the bus, by outcome, and the shards it runs, in Prometheus text. Served on
 * `FLORA_METRICS_PORT` when set, behind the operator token like the API's.
 *
 * @module
 */

import { Hono } from "hono";
import { metricsRoutes } from "../../api/routes/metrics.ts";
import { ApiError, errorResponse } from "../../api/errors.ts";
import { Counter, Gauge } from "../host/metrics.ts";
import type { GatewayShardStats } from "./gateway_shards.ts";

/** Counters of a gateway node. */
export interface GatewayNodeStats {
  published: number;
  /** Replays the bus recognised (same session and sequence) and dropped. */
  duplicates: number;
  /** Dispatches no single guild owns, not published. */
  skipped: number;
  /** Publishes that failed for a minute of tries (bus unreachable): a resume replays them if the shard moves. */
  failed: number;
  /** Publishes tried again after an error or a late ack (`stored_publish.ts`). */
  retried: number;
}

/**
 * The Prometheus text of a gateway node's figures, read at scrape time.
 *
 * @example
 * ```ts
 * renderGatewayMetrics({ published: 10, duplicates: 0, skipped: 1, failed: 0, retried: 0 }, 2, {
 *   resumed: 2, identified: 2, fenced: 0, held: 0,
 * });
 * // "# HELP flora_gateway_events_total …\nflora_gateway_events_total{outcome="published"} 10 …"
 * ```
 */
export function renderGatewayMetrics(
  figures: GatewayNodeStats,
  shards: number,
  starts: GatewayShardStats = { resumed: 0, identified: 0, fenced: 0, held: 0 },
): string {
  const events = new Counter(
    "flora_gateway_events_total",
    "Gateway nodes: dispatches by outcome (published to the bus; duplicate: a replay the bus " +
      "dropped; skipped: no single guild owns it; failed: the publish failed; fenced: dropped " +
      "because the shard's lease was no longer valid, left to its next holder's resume; held: " +
      "kept while the lease's renewal was late, published once it was renewed).",
    "outcome",
  );
  events.inc("published", figures.published);
  events.inc("duplicate", figures.duplicates);
  events.inc("skipped", figures.skipped);
  events.inc("failed", figures.failed);
  events.inc("fenced", starts.fenced);
  events.inc("held", starts.held);
  const connects = new Counter(
    "flora_gateway_shard_starts_total",
    "Gateway nodes: shards started here, by how (resumed a stored session; identified afresh).",
    "how",
  );
  const retried = new Counter(
    "flora_gateway_publish_retries_total",
    "Gateway nodes: publishes tried again after an error or a late ack (same event id: the " +
      "bus drops a copy it already stored).",
  );
  retried.inc(undefined, figures.retried);
  connects.inc("resumed", starts.resumed);
  connects.inc("identified", starts.identified);
  const held = new Gauge(
    "flora_gateway_shards",
    "Gateway nodes: shards this node runs now.",
    () => shards,
  );
  return `${events.render()}\n${retried.render()}\n${connects.render()}\n${held.render()}\n`;
}

/** The metrics server of a gateway node. */
export interface GatewayMetricsServer {
  /** The port it listens on (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (operator token) and `GET /health` for a gateway node.
 *
 * @example
 * ```ts
 * const server = serveGatewayMetrics(() => renderGatewayMetrics(stats, 1), {
 *   host: "127.0.0.1", port: 9464, operatorToken: "…",
 * });
 * ```
 */
export function serveGatewayMetrics(
  render: () => string,
  options: { host: string; port: number; operatorToken: string },
): GatewayMetricsServer {
  const app = new Hono();
  app.get("/health", (c) => c.json({ ok: true, role: "gateway" }));
  app.route("/metrics", metricsRoutes(render, options.operatorToken));
  app.notFound((c) => errorResponse(c, 404, "not_found", "a gateway node serves /metrics only"));
  app.onError((error, c) =>
    error instanceof ApiError
      ? errorResponse(c, error.status, error.code, error.message)
      : errorResponse(c, 500, "internal", "internal error")
  );
  const server = Deno.serve(
    { hostname: options.host, port: options.port, onListen: () => {} },
    app.fetch,
  );
  return { port: server.addr.port, close: () => server.shutdown() };
}
