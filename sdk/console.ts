/**
 * Routes the script's `console.*` to the guild's log stream with levels.
 *
 * @module
 */

import type { LogLevel } from "../runtime/sandbox/protocol/values.ts";
import { log } from "./bridge.ts";
import { formatError } from "./errors.ts";
import { cutLogLine, MAX_LOG_LINE_CHARS } from "./worker_bounds.ts";

/**
 * Formats console arguments roughly as Deno's console does, cut to the
 * longest log line: each part is cut before they are joined, so a huge
 * string is never copied whole (the note still says how much was cut).
 */
export function formatArgs(args: unknown[]): string {
  const parts = args.map((arg) => {
    if (typeof arg === "string") return arg;
    if (arg instanceof Error) return formatError(arg);
    try {
      return Deno.inspect(arg, { depth: 4, colors: false });
    } catch {
      return String(arg);
    }
  });
  const fullLength = parts.reduce((sum, part) => sum + part.length, parts.length - 1);
  if (fullLength <= MAX_LOG_LINE_CHARS) return parts.join(" ");
  const kept: string[] = [];
  let length = 0;
  for (const part of parts) {
    if (length > MAX_LOG_LINE_CHARS) break;
    kept.push(part.slice(0, MAX_LOG_LINE_CHARS + 1 - length));
    length += kept.at(-1)!.length + 1;
  }
  return cutLogLine(kept.join(" "), fullLength);
}

const methods: Record<string, LogLevel> = {
  debug: "debug",
  trace: "debug",
  log: "info",
  info: "info",
  warn: "warn",
  error: "error",
};

/** Replaces the global console's logging methods. */
export function installConsole(target: Console): void {
  for (const [method, level] of Object.entries(methods)) {
    Object.defineProperty(target, method, {
      value: (...args: unknown[]) => log(level, () => formatArgs(args)),
      writable: false,
      configurable: false,
    });
  }
}
