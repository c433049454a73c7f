/**
 * `flora logs --guild <id> [-f] [-n N]`: a guild's recent log lines, and with
 * `-f` the live stream, reconnecting (from the last line seen) when the
 * connection drops.
 *
 * @module
 */

import { failure, request, send } from "../../client/api_client.ts";
import { COMMON_HELP, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { type ApiTarget, resolveGuild, resolveTarget } from "../config.ts";
import { CliError, ExitCode } from "../../client/exit_codes.ts";
import { logLine } from "../format.ts";
import type { Output } from "../output.ts";

interface LogRecord {
  id: string;
  level: string;
  message: string;
  at: string;
}

const LEVELS = ["debug", "info", "warn", "error"];

/** Reads `event: log` records from an SSE response until it ends or `signal` aborts. */
async function* sseRecords(response: Response): AsyncGenerator<LogRecord> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data && /^event: log$/m.test(block)) yield JSON.parse(data) as LogRecord;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

async function follow(
  target: ApiTarget,
  guild: string,
  query: string,
  lastId: string | undefined,
  print: (r: LogRecord) => void,
  out: Output,
  signal: AbortSignal,
): Promise<void> {
  let failures = 0;
  // Set while a dropped stream is being re-established, so its return is announced too.
  let reconnecting = false;
  while (!signal.aborted) {
    let response: Response;
    try {
      response = await send(target, "GET", `/logs/${guild}/stream?${query}`, undefined, {
        headers: lastId ? { "last-event-id": lastId } : {},
        signal,
      });
    } catch (error) {
      if (signal.aborted) return;
      if (++failures > 30) throw error;
      if (!reconnecting) out.progress(`(connection lost; reconnecting…)`);
      reconnecting = true;
      await new Promise((r) => setTimeout(r, Math.min(5_000, 500 * failures)));
      continue;
    }
    if (!response.ok) throw await failure(response);
    failures = 0;
    if (reconnecting) out.progress("(reconnected)");
    reconnecting = false;
    try {
      for await (const record of sseRecords(response)) {
        lastId = record.id;
        print(record);
      }
    } catch (error) {
      if (signal.aborted) return;
      out.progress(`(stream interrupted: ${(error as Error).message}; reconnecting…)`);
      reconnecting = true;
    }
    if (!signal.aborted) await new Promise((r) => setTimeout(r, 500));
  }
}

export const logs: Command = {
  summary: "show a guild's log; -f follows it live",
  help: `Usage: flora logs --guild <id> [options]

Prints the guild's recent log lines (time in UTC, level, message): what its
script logged and what flora reported about it (deploys, load errors,
restarts).

Options:
  --guild <id>       The guild (default: $FLORA_GUILD or the config file)
  -n, --lines <n>    How many recent lines (1-1000, default 50)
  -f, --follow       Keep printing new lines as they come (Ctrl-C to stop);
                     reconnects from the last line seen if the connection drops
  --level <level>    Only this level and above: debug, info, warn, error
${COMMON_HELP}

With --json, each line is printed as one JSON object (JSON lines).

Exit codes: 0 ok, 2 usage, 3 API error, 5 not allowed.`,
  async run(argv, out) {
    const { values } = parse(argv, {
      guild: { type: "string" },
      lines: { type: "string", short: "n", default: "50" },
      follow: { type: "boolean", short: "f", default: false },
      level: { type: "string" },
    });
    if (values.help) {
      out.info(this.help);
      return ExitCode.Ok;
    }
    const lines = Number(values.lines);
    if (!Number.isInteger(lines) || lines < 1 || lines > 1000) {
      throw new CliError(ExitCode.Usage, "--lines must be a whole number from 1 to 1000");
    }
    if (values.level !== undefined && !LEVELS.includes(values.level)) {
      throw new CliError(ExitCode.Usage, `--level must be one of ${LEVELS.join(", ")}`);
    }
    const guild = await resolveGuild(values.guild);
    const target = await resolveTarget({ api: values.api, token: values.token });
    const level = values.level ? `&level=${values.level}` : "";
    const print = (r: LogRecord) => {
      if (values.json) console.log(JSON.stringify(r));
      else out.info(logLine(r));
    };
    const { body } = await request<{ logs: LogRecord[] }>(
      target,
      "GET",
      `/logs/${guild}?limit=${lines}${level}`,
    );
    body.logs.forEach(print);
    if (!values.follow) return ExitCode.Ok;
    // The stream resumes after the last line printed (or, filtered by level, the last line stored).
    let lastId = body.logs.at(-1)?.id;
    if (level) {
      const { body: last } = await request<{ logs: LogRecord[] }>(
        target,
        "GET",
        `/logs/${guild}?limit=1`,
      );
      lastId = last.logs.at(-1)?.id;
    }
    const controller = new AbortController();
    const stop = () => controller.abort();
    Deno.addSignalListener("SIGINT", stop);
    try {
      await follow(target, guild, level.slice(1), lastId, print, out, controller.signal);
    } finally {
      Deno.removeSignalListener("SIGINT", stop);
    }
    return ExitCode.Ok;
  },
};
