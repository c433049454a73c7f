/**
 * Routes the script's `console.*` to the guild's log stream with levels.
 *
 * @module
 */

import type { LogLevel } from "../runtime/sandbox/protocol/values.ts";
import { log } from "./bridge.ts";
import { formatError } from "./errors.ts";

/** Formats console arguments roughly as Deno's console does. */
export function formatArgs(args: unknown[]): string {
  return args.map((arg) => {
    if (typeof arg === "string") return arg;
    if (arg instanceof Error) return formatError(arg);
    try {
      return Deno.inspect(arg, { depth: 4, colors: false });
    } catch {
      return String(arg);
    }
  }).join(" ");
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
      value: (...args: unknown[]) => log(level, formatArgs(args)),
      writable: false,
      configurable: false,
    });
  }
}
