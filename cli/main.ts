/**
 * The `flora` command line. Compile-ready: `deno task compile` builds it
 * into one binary.
 *
 * @module
 */

import { cluster } from "./commands/cluster.ts";
import { deploy, deployHelp } from "./commands/deploy.ts";
import { history, list, rollback, status } from "./commands/deployments.ts";
import { init } from "./commands/init.ts";
import { kv } from "./commands/kv.ts";
import { login, logout, whoami } from "./commands/login.ts";
import { logs } from "./commands/logs.ts";
import { secrets } from "./commands/secrets.ts";
import { test } from "./commands/test.ts";
import { tokens } from "./commands/tokens.ts";
import { CliError, ExitCode } from "../client/exit_codes.ts";
import { consoleOutput, type Output } from "./output.ts";

const commands: Record<
  string,
  { run(argv: string[], out: Output): Promise<number>; help: string; summary: string }
> = {
  dev: {
    // Loaded on use: it pulls in the whole runtime, which the other commands do not need
    // (a static import made every command take ~1.5 s longer to start).
    run: async (argv, out) => (await import("./commands/dev.ts")).dev(argv, out),
    help: "Usage: flora dev <script.ts> [options]\n\nRun 'flora dev --help' for the options.",
    summary: "run a script locally: emulator, playground, reload",
  },
  deploy: {
    run: deploy,
    help: deployHelp,
    summary: "check, bundle and deploy a script to a guild",
  },
  login,
  logout,
  whoami,
  init,
  list,
  status,
  history,
  rollback,
  logs,
  kv,
  secrets,
  tokens,
  test,
  cluster,
};

const usage = `Usage: flora <command> [options]

Commands:
${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join("\n")}

Run 'flora <command> --help' for a command's options.

The API and token come from --api/--token, then FLORA_API_URL/FLORA_TOKEN,
then the config file ($FLORA_CONFIG or ~/.config/flora/config.json, written
by 'flora login'), then a local flora ('deno task start' in ./.data, else in
the checkout this CLI runs from).

Exit codes: 0 ok, 1 the operation failed (e.g. the script failed to load),
2 usage, 3 API error, 4 syntax/type error, 5 not logged in or not allowed,
6 not found.`;

/** Runs the CLI with the given arguments; resolves to the exit code. */
export async function main(argv: string[], out: Output = consoleOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    out.info(usage);
    return name ? ExitCode.Ok : ExitCode.Usage;
  }
  const command = commands[name];
  if (!command) {
    out.error(`flora: unknown command '${name}'\n\n${usage}`);
    return ExitCode.Usage;
  }
  try {
    return await command.run(rest, out);
  } catch (error) {
    if (error instanceof CliError) {
      out.error(`flora ${name}: ${error.message}`);
      return error.code;
    }
    if (
      error instanceof TypeError && "code" in error &&
      String(error.code).startsWith("ERR_PARSE_ARGS")
    ) {
      out.error(`flora ${name}: ${error.message}\n\n${command.help}`);
      return ExitCode.Usage;
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
