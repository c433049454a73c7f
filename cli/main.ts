/**
 * The `flora` command line. Compile-ready: `deno task compile` builds it
 * into one binary.
 *
 * @module
 */

import { deploy, deployHelp } from "./commands/deploy.ts";
import { CliError, ExitCode } from "./exit_codes.ts";
import { consoleOutput, type Output } from "./output.ts";

const commands: Record<
  string,
  { run(argv: string[], out: Output): Promise<number>; help: string; summary: string }
> = {
  deploy: {
    run: deploy,
    help: deployHelp,
    summary: "check, bundle and deploy a script to a guild",
  },
};

const usage = `Usage: flora <command> [options]

Commands:
${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join("\n")}

Run 'flora <command> --help' for a command's options.`;

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
