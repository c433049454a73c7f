/**
 * `GET /cluster`: the operator's view of a cluster — nodes with their roles
 * and last heartbeat, the owner and backlog of each event partition. A single
 * process (`FLORA_ROLE=all`) answers `{ mode: "single" }`.
 *
 * @module
 */

import type { ApiRouter } from "../routing.ts";

/** Where the view comes from (the runtime's partition intake, in a cluster). */
export type ClusterSource = () => Promise<unknown>;

/** Registers `GET /cluster`. */
export function registerClusterRoutes(api: ApiRouter, source: ClusterSource | undefined): void {
  api.route({
    method: "get",
    path: "/cluster",
    tag: "meta",
    auth: "operator",
    summary: "The cluster: nodes, partition owners and bus backlog",
    description: "`nodes`: each node's roles, version, start and last heartbeat (a node that " +
      "stops beating drops out within 15 s); `partitions`: the runtime node holding each " +
      "partition's lease, its fencing token, and the events not yet delivered (`pending`) or " +
      'not yet acked (`ackPending`). A single process answers `{ mode: "single" }`.',
    responses: { 200: "{ mode, bus, nodes, partitions }", 403: "not the operator token" },
  }, async (c) => c.json(source ? await source() : { mode: "single" }));
}
