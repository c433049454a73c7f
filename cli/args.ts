/**
 * Argument parsing shared by every command: the common options (`--api`,
 * `--token`, `--json`, `--help`) plus each command's own, with unknown
 * options reported as usage errors.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { hostPattern } from "../storage/host_patterns.ts";
import { CliError, ExitCode } from "../client/exit_codes.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every API command accepts. */
export const COMMON_OPTIONS = {
  api: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies Options;

/** The common options' help lines. */
export const COMMON_HELP =
  `  --api <url>        flora API URL (default: $FLORA_API_URL, config file, local flora)
  --token <tok>      API token (default: $FLORA_TOKEN, config file, local operator)
  --json             Print the result as JSON (for scripts)
  -h, --help         Show this help`;

/** Parses a command's arguments (its options plus the common ones). */
export function parse<O extends Options>(argv: string[], options: O) {
  return parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, ...options },
    allowPositionals: true,
    strict: true,
  });
}

/**
 * Host patterns from repeatable, comma-separated options (`--allow-fetch a.com,b.com
 * --allow-fetch c.com`), checked before anything is uploaded.
 */
export function hostList(flag: string, given: string[] | undefined): string[] {
  const out: string[] = [];
  for (const item of (given ?? []).flatMap((g) => g.split(","))) {
    if (item.trim() === "") continue;
    const r = hostPattern(item);
    if (!r.ok) throw new CliError(ExitCode.Usage, `--${flag}: ${r.error}`);
    if (!out.includes(r.pattern)) out.push(r.pattern);
  }
  return out;
}
