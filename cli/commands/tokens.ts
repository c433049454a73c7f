/**
 * `flora tokens list|create|revoke`: your API tokens (e.g. one for CI).
 * A new token's secret is printed once; flora keeps only its hash.
 *
 * @module
 */

import { request } from "../../client/api_client.ts";
import { COMMON_HELP, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { resolveTarget } from "../config.ts";
import { CliError, ExitCode } from "../../client/exit_codes.ts";
import { table, when } from "../format.ts";

interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

const HELP = `Usage: flora tokens <action> [arguments] [options]

Actions:
  list               Your tokens: id, name, created, expires, revoked
  create <name>      Create a token (e.g. for CI); its secret is printed once
  revoke <id>        Revoke one of your tokens

Options:
  --days <n>         create: expire after n days (default: never)
${COMMON_HELP}

Exit codes: 0 ok, 2 usage, 3 API error, 5 not logged in (the operator token
cannot create tokens: they belong to a Discord user), 6 no such token.`;

export const tokens: Command = {
  summary: "list, create and revoke your API tokens",
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parse(argv, { days: { type: "string" } });
    const [action, ...args] = positionals;
    if (values.help || action === undefined) {
      out.info(HELP);
      return values.help ? ExitCode.Ok : ExitCode.Usage;
    }
    const need = (n: number, usage: string) => {
      if (args.length !== n) throw new CliError(ExitCode.Usage, `usage: flora tokens ${usage}`);
    };
    const target = await resolveTarget({ api: values.api, token: values.token });
    switch (action) {
      case "list": {
        need(0, "list");
        const { body } = await request<{ tokens: TokenInfo[] }>(target, "GET", "/tokens");
        if (values.json) out.json(body.tokens);
        else {
          out.info(
            table(
              ["ID", "NAME", "CREATED (UTC)", "EXPIRES", "REVOKED"],
              body.tokens.map((t) => [
                t.id,
                t.name,
                when(t.createdAt),
                t.expiresAt ? when(t.expiresAt) : "never",
                t.revokedAt ? when(t.revokedAt) : "",
              ]),
            ) || "No tokens.",
          );
        }
        return ExitCode.Ok;
      }
      case "create": {
        need(1, "create <name> [--days n]");
        let ttlDays: number | undefined;
        if (values.days !== undefined) {
          ttlDays = Number(values.days);
          if (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > 3650) {
            throw new CliError(ExitCode.Usage, "--days must be a whole number from 1 to 3650");
          }
        }
        const { body } = await request<{ token: string; info: TokenInfo }>(
          target,
          "POST",
          "/tokens",
          { name: args[0], ...(ttlDays ? { ttlDays } : {}) },
        );
        if (values.json) out.json(body);
        else {
          out.progress(`Created token ${body.info.id} (${body.info.name}). It is shown only now:`);
          out.info(body.token);
        }
        return ExitCode.Ok;
      }
      case "revoke": {
        need(1, "revoke <id>");
        await request(target, "DELETE", `/tokens/${encodeURIComponent(args[0])}`);
        if (values.json) out.json({ revoked: true });
        else out.info(`Revoked ${args[0]}.`);
        return ExitCode.Ok;
      }
      default:
        throw new CliError(
          ExitCode.Usage,
          `unknown action '${action}': use list, create or revoke`,
        );
    }
  },
};
