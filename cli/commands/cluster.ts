/**
 * `flora cluster status`: the cluster as the operator sees it (`GET /cluster`):
 * nodes with role, version, uptime and last heartbeat, and which runtime node
 * owns each event partition with its backlog. Needs the operator token.
 *
 * @module
 */

import { request } from "../../client/api_client.ts";
import { COMMON_HELP, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { resolveTarget } from "../config.ts";
import { ExitCode } from "../../client/exit_codes.ts";
import { table, when } from "../format.ts";

interface ClusterBody {
  mode: "single" | "cluster";
  bus?: { stream: string; messages: number; partitions: number };
  nodes?: {
    node: string;
    roles: string[];
    version: string;
    startedAt: string;
    heartbeatAt: string;
    stats?: Record<string, number>;
  }[];
  partitions?: { partition: number; owner: string | null; pending: number; ackPending: number }[];
  shards?: { shard: number; owner: string | null; seq: number | null }[];
}

const HELP = `Usage: flora cluster status [options]

Shows the nodes of a cluster (role, version, uptime, last heartbeat, resident
workers of runtime nodes, events published by gateway nodes), the
runtime node that owns each event partition, with the events waiting for it
(PENDING: not yet delivered; UNACKED: delivered, not yet finished), and the
gateway node that holds each shard, with the sequence a takeover would
RESUME after.
A single process (FLORA_ROLE=all) says so.

Options:
${COMMON_HELP}

Exit codes: 0 ok, 2 usage, 3 API error, 5 not the operator token.`;

export const cluster: Command = {
  summary: "nodes and partition owners of a cluster (operator)",
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parse(argv, {});
    if (values.help || positionals[0] !== "status" || positionals.length !== 1) {
      out.info(HELP);
      return values.help ? ExitCode.Ok : ExitCode.Usage;
    }
    const target = await resolveTarget({ api: values.api, token: values.token });
    const { body } = await request<ClusterBody>(target, "GET", "/cluster");
    if (values.json) {
      out.json(body);
      return ExitCode.Ok;
    }
    if (body.mode === "single") {
      out.info("A single flora process (FLORA_ROLE=all): no cluster.");
      return ExitCode.Ok;
    }
    const now = Date.now();
    const age = (iso: string) => `${Math.round((now - Date.parse(iso)) / 1000)} s`;
    out.info(
      table(
        ["NODE", "ROLES", "VERSION", "UP SINCE (UTC)", "LAST HEARTBEAT", "WORKERS", "PUBLISHED"],
        (body.nodes ?? []).map((n) => [
          n.node,
          n.roles.join(","),
          n.version,
          when(n.startedAt),
          `${age(n.heartbeatAt)} ago`,
          // Resident workers of a runtime node; events a gateway node published.
          String(n.stats?.residentWorkers ?? "-"),
          String(n.stats?.published ?? "-"),
        ]),
      ) || "No nodes.",
    );
    out.info("");
    out.info(
      table(
        ["PARTITION", "OWNER", "PENDING", "UNACKED"],
        (body.partitions ?? []).map((p) => [
          String(p.partition),
          p.owner ?? "(moving)",
          String(p.pending),
          String(p.ackPending),
        ]),
      ),
    );
    if (body.shards?.length) {
      out.info("");
      out.info(
        table(
          ["SHARD", "GATEWAY NODE", "RESUMES AFTER"],
          body.shards.map((s) => [
            String(s.shard),
            s.owner ?? "(moving)",
            s.seq === null ? "-" : `seq ${s.seq}`,
          ]),
        ),
      );
    }
    if (body.bus) out.info(`\nbus: ${body.bus.stream}, ${body.bus.messages} events kept`);
    return ExitCode.Ok;
  },
};
