/**
 * `flora secrets set|delete|list`: a guild's secrets (API keys its script
 * sends, through `secret("NAME")` in a fetch, to the hosts each allows).
 * Values go in, never come out: `list` shows names, hosts and times only.
 *
 * @module
 */

import { request } from "../../client/api_client.ts";
import { COMMON_HELP, hostList, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { resolveGuild, resolveTarget } from "../config.ts";
import { CliError, ExitCode } from "../../client/exit_codes.ts";
import { table, when } from "../format.ts";

const HELP = `Usage: flora secrets <action> --guild <id> [arguments] [options]

Actions:
  set <name>       Set a secret. The value is read from stdin (pipe it in, or
                   type it and press Ctrl-D), from --file, or from --value
                   (visible in your shell history: prefer stdin)
  delete <name>    Delete a secret
  list             Names, allowed hosts and update times (never values)

Options:
  --guild <id>       The guild (default: $FLORA_GUILD or the config file)
  --file <path>      set: read the value from this file
  --value <text>     set: the value itself
  --allow-host <hosts>
                     set: hosts the script may send this secret to (comma-separated
                     or repeated; *.example.com, host:8443 as for deploy --allow-fetch).
                     Replaces the secret's list; without it no request may carry it.
${COMMON_HELP}

Exit codes: 0 ok, 2 usage, 3 API error, 5 not allowed, 6 no such secret.`;

async function readValue(file: string | undefined, value: string | undefined): Promise<string> {
  if (value !== undefined) return value;
  try {
    const text = file !== undefined && file !== "-"
      ? await Deno.readTextFile(file)
      : await new Response(Deno.stdin.readable).text();
    // One trailing newline comes from `echo` or the editor, not the secret.
    return text.replace(/\r?\n$/, "");
  } catch (error) {
    throw new CliError(ExitCode.Usage, `cannot read the value: ${(error as Error).message}`);
  }
}

export const secrets: Command = {
  summary: "set, delete and list a guild's secrets (values are never shown)",
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parse(argv, {
      guild: { type: "string" },
      file: { type: "string" },
      value: { type: "string" },
      "allow-host": { type: "string", multiple: true },
    });
    const [action, ...args] = positionals;
    if (values.help || action === undefined) {
      out.info(HELP);
      return values.help ? ExitCode.Ok : ExitCode.Usage;
    }
    const need = (n: number, usage: string) => {
      if (args.length !== n) throw new CliError(ExitCode.Usage, `usage: flora secrets ${usage}`);
    };
    const guild = await resolveGuild(values.guild);
    const target = await resolveTarget({ api: values.api, token: values.token });
    const path = (name: string) => `/secrets/${guild}/${encodeURIComponent(name)}`;
    switch (action) {
      case "set": {
        need(1, "set <name> (value on stdin)");
        const allowedHosts = hostList("allow-host", values["allow-host"]);
        const value = await readValue(values.file, values.value);
        if (value === "") throw new CliError(ExitCode.Usage, "the secret's value is empty");
        const { body } = await request<{ secret: { name: string; updatedAt: string } }>(
          target,
          "PUT",
          path(args[0]),
          { value, allowedHosts },
        );
        if (values.json) out.json(body);
        else {
          out.info(
            `Secret ${args[0]} set for guild ${guild}; ${
              allowedHosts.length
                ? `scripts may send it to ${allowedHosts.join(", ")}`
                : "no host allowed yet (--allow-host), so no request may carry it"
            }.`,
          );
        }
        return ExitCode.Ok;
      }
      case "delete": {
        need(1, "delete <name>");
        const { body } = await request<{ deleted: boolean }>(target, "DELETE", path(args[0]));
        if (values.json) out.json(body);
        if (body.deleted === false) {
          if (!values.json) out.error(`flora secrets: no secret ${args[0]} in this guild`);
          return ExitCode.NotFound;
        }
        if (!values.json) out.info(`Deleted ${args[0]}.`);
        return ExitCode.Ok;
      }
      case "list": {
        need(0, "list");
        const { body } = await request<
          { secrets: { name: string; updatedAt: string; allowedHosts?: string[] }[] }
        >(
          target,
          "GET",
          `/secrets/${guild}`,
        );
        if (values.json) out.json(body.secrets);
        else {
          out.info(
            table(
              ["NAME", "ALLOWED HOSTS", "UPDATED (UTC)"],
              body.secrets.map((s) => [
                s.name,
                s.allowedHosts?.length ? s.allowedHosts.join(",") : "(none)",
                when(s.updatedAt),
              ]),
            ) ||
              "No secrets.",
          );
        }
        return ExitCode.Ok;
      }
      default:
        throw new CliError(ExitCode.Usage, `unknown action '${action}': use set, delete or list`);
    }
  },
};
