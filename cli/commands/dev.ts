/**
 * `flora dev <script>`: runs a script locally in a real sandbox against the
 * built-in emulator, redeploys it on every save (KV data stays), prints its
 * log live, and serves the playground — or, with `--repl`, a terminal REPL.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Playground, startPlayground } from "../../dev/playground/server.tsx";
import { runRepl } from "../../dev/repl.ts";
import { type DeployResult, type DevSession, startDevSession } from "../../dev/session.ts";
import { watchScript } from "../../dev/watch.ts";
import type { LogLine } from "../../runtime/host/logs.ts";
import { CliError, ExitCode } from "../../client/exit_codes.ts";
import type { Output } from "../output.ts";
import { errorMessage } from "../../shared/error_message.ts";

export const devHelp = `Usage: flora dev <script.ts> [options]

Runs the script on this machine: a real flora sandbox, the built-in Discord
emulator with a seeded guild (#general, #bot-commands; Admin and Member
roles; members alice and bob), redeploys on every save (KV data is kept)
and prints the script's log. Open the playground URL it prints to chat with
the bot in a browser, or use --repl to do it in this terminal.

Options:
  --repl              A terminal REPL instead of the web playground
  --port <n>          Playground port (default 8790; 0: any free port)
  --data-dir <dir>    Where the dev database lives (default .flora/dev)
  --temp              Use a fresh temporary data dir, removed on exit
  --no-check          Skip type-checking before each deploy
  --no-watch          Deploy once; do not watch for changes
  -h, --help          Show this help

Exit codes: 0 stopped normally, 2 usage.`;

const COLORS = { debug: "\x1b[90m", info: "\x1b[36m", warn: "\x1b[33m", error: "\x1b[31m" };
const RESET = "\x1b[0m";

function useColor(): boolean {
  return !Deno.noColor && Deno.stdout.isTerminal();
}

/** One log line as the terminal shows it. */
export function formatLogLine(line: LogLine, color = useColor()): string {
  const time = new Date(line.at).toISOString().slice(11, 23);
  const level = line.level.padEnd(5);
  return color
    ? `${time} ${COLORS[line.level]}${level}${RESET} ${line.message}`
    : `${time} ${level} ${line.message}`;
}

function describeDeploy(result: DeployResult, ms: number): string {
  return result.ok
    ? `✓ deployed r${result.revision} in ${ms} ms`
    : `✗ deploy failed (the previous version keeps running):\n${result.error}`;
}

/** Runs the dev command until SIGINT/SIGTERM, `.exit` (REPL) or end of input. */
export async function dev(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      repl: { type: "boolean", default: false },
      port: { type: "string", default: "8790" },
      "data-dir": { type: "string", default: ".flora/dev" },
      temp: { type: "boolean", default: false },
      "no-check": { type: "boolean", default: false },
      "no-watch": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    out.info(devHelp);
    return ExitCode.Ok;
  }
  if (positionals.length !== 1) {
    throw new CliError(ExitCode.Usage, "give exactly one script, e.g. flora dev src/main.ts");
  }
  const entry = positionals[0];
  const stat = await Deno.stat(entry).catch(() => null);
  if (!stat) throw new CliError(ExitCode.Usage, `${entry} does not exist`);
  if (!stat.isFile) throw new CliError(ExitCode.Usage, `${entry} is not a file`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(ExitCode.Usage, `--port must be a whole number from 0 to 65535`);
  }
  const dataDir = values.temp
    ? await Deno.makeTempDir({ prefix: "flora-dev-" })
    : values["data-dir"];

  // Logs go to stdout as they happen; in the REPL they interleave with the bot's replies.
  const print = (text: string) => out.info(text);
  let session: DevSession;
  try {
    session = await startDevSession({
      entry,
      dataDir,
      check: !values["no-check"],
      onLog: (line) => print(formatLogLine(line)),
      onNotice: (level, message) => {
        if (level !== "info") out.error(`[flora] ${level}: ${message}`);
      },
    });
  } catch (error) {
    if (values.temp) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    throw new CliError(
      ExitCode.Failed,
      `could not start: ${errorMessage(error)}`,
    );
  }

  const deploy = async () => {
    const started = performance.now();
    out.progress(`Deploying ${entry}…`);
    const result = await session.deploy();
    const line = describeDeploy(result, Math.round(performance.now() - started));
    if (result.ok) out.progress(line);
    else out.error(line);
    return result;
  };

  let playground: Playground | null = null;
  if (!values.repl) {
    try {
      playground = await startPlayground(session, { port });
    } catch (error) {
      await session.close();
      if (values.temp) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      if (error instanceof Deno.errors.AddrInUse) {
        throw new CliError(
          ExitCode.Usage,
          `port ${port} is in use: pass --port <n> (or --port 0 for any free port)`,
        );
      }
      throw error;
    }
  }
  const guild = session.guild;
  out.progress(
    [
      "",
      `flora dev: ${entry} in guild "${guild.name}" (${guild.id}) of the built-in emulator`,
      `  channels: ${
        guild.channels.filter((c) => c.type === 0).map((c) => "#" + c.name).join(" ")
      }`,
      `  members:  ${
        guild.members.filter((m) => !m.bot).map((m) =>
          `${m.username} (${
            m.roles.map((r) => guild.roles.find((x) => x.id === r)?.name).join(", ") || "no roles"
          })`
        ).join(", ")
      }`,
      `  data:     ${dataDir}${values.temp ? " (temporary)" : " (KV data survives reloads)"}${
        session.carriedOver ? `; ${session.carriedOver} KV entries kept from the last session` : ""
      }`,
      playground ? `  playground: ${playground.url}` : "",
      "",
    ].filter((l, i, all) => l !== "" || i === 0 || i === all.length - 1).join("\n"),
  );
  await deploy();

  const dir = (await Deno.realPath(entry)).replace(/\/[^/]+$/, "");
  const watcher = values["no-watch"] ? null : watchScript(dir, (paths) => {
    const names = paths.map((p) => p.replace(dir + "/", "")).join(", ");
    out.progress(`changed: ${names}`);
    deploy();
  }, { ignore: [await Deno.realPath(dataDir).catch(() => dataDir)] });

  const stopped = Promise.withResolvers<void>();
  const onSignal = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    if (values.repl) {
      await Promise.race([
        runRepl({
          session,
          input: Deno.stdin.readable,
          write: print,
          prompt: Deno.stdin.isTerminal(),
        }),
        stopped.promise,
      ]);
    } else {
      await stopped.promise;
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    out.progress("flora dev: stopping…");
    watcher?.close();
    await playground?.close();
    await session.close();
    if (values.temp) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  return ExitCode.Ok;
}
