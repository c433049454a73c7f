/**
 * `flora deploy --guild <id> <script>`: check, bundle, upload, report.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type DeploymentSummary, request } from "../../client/api_client.ts";
import { hostList } from "../args.ts";
import { bundle, typeCheck } from "../../client/bundle.ts";
import { resolveGuild, resolveTarget } from "../config.ts";
import { CliError, ExitCode } from "../../client/exit_codes.ts";
import type { Output } from "../output.ts";

export const deployHelp = `Usage: flora deploy --guild <id> <script.ts> [options]

Type-checks the script against the SDK, bundles it with its local imports,
uploads it, and waits until it is live in the guild.

Options:
  --guild <id>       The guild to deploy to (default: $FLORA_GUILD or the config file)
  --api <url>        flora API URL (default: $FLORA_API_URL, or the local flora)
  --token <tok>      API token (default: $FLORA_TOKEN, or the local operator token)
  --no-check         Skip type-checking (syntax is still checked by the bundler)
  --allow-fetch <hosts>
                     Hosts the script may fetch from, comma-separated or repeated:
                     api.example.com, *.example.com (subdomains), host:8443 (other
                     ports). Without it the script cannot fetch at all.
  --json             Print the result as JSON
  -h, --help         Show this help

Exit codes: 0 live, 1 the script failed to load (previous version keeps
running), 2 usage, 3 API error, 4 syntax/type error (nothing uploaded),
5 not logged in or not allowed in this guild.`;

/** Runs the deploy command. */
export async function deploy(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      guild: { type: "string" },
      api: { type: "string" },
      token: { type: "string" },
      "no-check": { type: "boolean", default: false },
      "allow-fetch": { type: "string", multiple: true },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    out.info(deployHelp);
    return ExitCode.Ok;
  }
  const fetchHosts = hostList("allow-fetch", values["allow-fetch"]);
  const guild = await resolveGuild(values.guild);
  if (positionals.length !== 1) {
    throw new CliError(
      ExitCode.Usage,
      "give exactly one script to deploy, e.g. flora deploy --guild <id> src/main.ts",
    );
  }
  const entry = positionals[0];
  try {
    const stat = await Deno.stat(entry);
    if (!stat.isFile) throw new CliError(ExitCode.Usage, `${entry} is not a file`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CliError(ExitCode.Usage, `${entry} does not exist`);
    }
    throw error;
  }
  const target = await resolveTarget({ api: values.api, token: values.token });

  if (!values["no-check"]) {
    out.progress(`Checking ${entry}…`);
    await typeCheck(entry);
  }
  out.progress(`Bundling ${entry}…`);
  const built = await bundle(entry);
  out.progress(`Uploading ${(built.code.length / 1024).toFixed(1)} KiB to ${target.url}…`);
  const { body } = await request<{ deployment: DeploymentSummary }>(
    target,
    "POST",
    `/deployments/${guild}`,
    { ...built, ...(fetchHosts.length ? { fetchHosts } : {}) },
  );
  const d = body.deployment;
  if (values.json) {
    out.json(d);
  } else if (d.status === "active") {
    out.info(`Deployed ${entry} to guild ${d.guildId}: revision ${d.revision} (${d.id}) is live.`);
    if (d.fetchHosts?.length) out.info(`It may fetch from: ${d.fetchHosts.join(", ")}.`);
  } else {
    out.error(
      `Deployment ${d.id} (revision ${d.revision}) failed; the previous version keeps running.\n${
        d.error ?? ""
      }`,
    );
  }
  return d.status === "active" ? ExitCode.Ok : ExitCode.Failed;
}
