/**
 * `flora list`, `flora status`, `flora history`, `flora rollback`.
 *
 * @module
 */

import { type DeploymentSummary, request } from "../../client/api_client.ts";
import { COMMON_HELP, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { resolveGuild, resolveTarget } from "../config.ts";
import { CliError, ExitCode } from "../../client/exit_codes.ts";
import { table, when } from "../format.ts";

const GUILD_HELP = "  --guild <id>    The guild (default: $FLORA_GUILD or the config file)";

export const list: Command = {
  summary: "list the guilds you may manage and what runs in each",
  help: `Usage: flora list [options]

Lists the guilds where the flora bot is and you hold Administrator or
Manage Server, with each guild's live revision.

Options:
${COMMON_HELP}

Exit codes: 0 ok, 3 API error, 5 not logged in.`,
  async run(argv, out) {
    const { values } = parse(argv, {});
    if (values.help) {
      out.info(this.help);
      return ExitCode.Ok;
    }
    const target = await resolveTarget({ api: values.api, token: values.token });
    const { body } = await request<{
      guilds: { id: string; name: string; deployment: DeploymentSummary | null }[];
    }>(target, "GET", "/guilds");
    if (values.json) {
      out.json(body.guilds);
    } else if (body.guilds.length === 0) {
      out.info("No guilds: the bot is in none where you have Administrator or Manage Server.");
    } else {
      out.info(table(
        ["GUILD", "NAME", "LIVE"],
        body.guilds.map((g) => [
          g.id,
          g.name,
          g.deployment ? `r${g.deployment.revision} (${when(g.deployment.createdAt)})` : "-",
        ]),
      ));
    }
    return ExitCode.Ok;
  },
};

export const status: Command = {
  summary: "show a guild's live deployment",
  help: `Usage: flora status --guild <id> [options]

Options:
${GUILD_HELP}
${COMMON_HELP}

Exit codes: 0 something is live, 6 nothing deployed, 3 API error, 5 not allowed.`,
  async run(argv, out) {
    const { values } = parse(argv, { guild: { type: "string" } });
    if (values.help) {
      out.info(this.help);
      return ExitCode.Ok;
    }
    const guild = await resolveGuild(values.guild);
    const target = await resolveTarget({ api: values.api, token: values.token });
    const { body } = await request<{ deployment: DeploymentSummary }>(
      target,
      "GET",
      `/deployments/${guild}/current`,
    );
    const d = body.deployment;
    if (values.json) out.json(d);
    else {
      out.info(
        `Guild ${guild}: revision ${d.revision} (${d.id}) is ${d.status}\n` +
          `  entry ${d.entry}, ${(d.size / 1024).toFixed(1)} KiB, deployed ${
            when(d.createdAt)
          } by ${d.createdBy}`,
      );
    }
    return ExitCode.Ok;
  },
};

export const history: Command = {
  summary: "list a guild's deployments: who, when, status",
  help: `Usage: flora history --guild <id> [options]

Options:
${GUILD_HELP}
  -n, --limit <n> How many, newest first (1-100, default 20)
${COMMON_HELP}

Exit codes: 0 ok, 2 usage, 3 API error, 5 not allowed.`,
  async run(argv, out) {
    const { values } = parse(argv, {
      guild: { type: "string" },
      limit: { type: "string", short: "n", default: "20" },
    });
    if (values.help) {
      out.info(this.help);
      return ExitCode.Ok;
    }
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new CliError(ExitCode.Usage, "--limit must be a whole number from 1 to 100");
    }
    const guild = await resolveGuild(values.guild);
    const target = await resolveTarget({ api: values.api, token: values.token });
    const { body } = await request<{ deployments: DeploymentSummary[] }>(
      target,
      "GET",
      `/deployments/${guild}?limit=${limit}`,
    );
    if (values.json) out.json(body.deployments);
    else if (body.deployments.length === 0) out.info(`Nothing was ever deployed to ${guild}.`);
    else {
      out.info(table(
        ["REV", "STATUS", "WHEN (UTC)", "BY", "ID", "ERROR"],
        body.deployments.map((d) => [
          String(d.revision),
          d.status,
          when(d.createdAt),
          d.createdBy,
          d.id,
          d.error ? d.error.split("\n")[0].slice(0, 80) : "",
        ]),
      ));
    }
    return ExitCode.Ok;
  },
};

export const rollback: Command = {
  summary: "redeploy an earlier revision as a new revision",
  help: `Usage: flora rollback --guild <id> <revision | deployment id> [options]

Redeploys the given revision's bundle; it becomes a new revision, so the
history keeps every step.

Options:
${GUILD_HELP}
${COMMON_HELP}

Exit codes: 0 live, 1 it failed to load (the current version keeps running),
2 usage, 3 API error, 5 not allowed, 6 no such revision.`,
  async run(argv, out) {
    const { values, positionals } = parse(argv, { guild: { type: "string" } });
    if (values.help) {
      out.info(this.help);
      return ExitCode.Ok;
    }
    if (positionals.length !== 1) {
      throw new CliError(
        ExitCode.Usage,
        "give the revision to roll back to, e.g. flora rollback --guild <id> 3",
      );
    }
    const what = positionals[0];
    const guild = await resolveGuild(values.guild);
    const target = await resolveTarget({ api: values.api, token: values.token });
    const body = /^\d+$/.test(what) ? { revision: Number(what) } : { id: what };
    out.progress(`Rolling back guild ${guild} to ${/^\d+$/.test(what) ? "revision " : ""}${what}…`);
    const { body: result } = await request<{ deployment: DeploymentSummary }>(
      target,
      "POST",
      `/deployments/${guild}/rollback`,
      body,
    );
    const d = result.deployment;
    if (values.json) out.json(d);
    else if (d.status === "active") {
      out.info(`Rolled back: revision ${d.revision} (${d.id}) is live.`);
    } else {
      out.error(`Rollback failed; the current version keeps running.\n${d.error ?? ""}`);
    }
    return d.status === "active" ? ExitCode.Ok : ExitCode.Failed;
  },
};
