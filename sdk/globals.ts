/**
 * Installs the SDK's globals on the worker's global scope, read-only so a
 * script cannot swap them out. `globals.d.ts` declares each one as
 * `typeof globals.<name>`, so the declarations follow this object.
 *
 * @module
 */

import { createBot, on } from "./bot.ts";
import { messageCommand, prefix, slash, subcommand, userCommand } from "./commands.ts";
import { installConsole } from "./console.ts";
import { cron } from "./cron.ts";
import { discord } from "./discord.ts";
import { fetch, secret } from "./fetch.ts";
import { kv } from "./kv.ts";
import { sorted } from "./sorted.ts";
import { tasks } from "./tasks.ts";
import { requestCpuBurst } from "./cpu_burst.ts";
import { onComponent, onModal } from "./routing.ts";
import { OptionType } from "./types.ts";
import { ui } from "./ui.ts";

/** The globals every script sees, without imports. */
export const globals = {
  createBot,
  on,
  slash,
  subcommand,
  prefix,
  userCommand,
  messageCommand,
  onComponent,
  onModal,
  OptionType,
  ui,
  discord,
  kv,
  sorted,
  tasks,
  cron,
  requestCpuBurst,
  secret,
} as const;

/** Defines the globals on `target` (the worker's `globalThis`). */
export function installGlobals(target: typeof globalThis): void {
  for (const [name, value] of Object.entries(globals)) {
    Object.defineProperty(target, name, {
      value,
      writable: false,
      configurable: false,
      enumerable: true,
    });
  }
  installConsole(target.console);
  // The standard name, so scripts and libraries use it as they would anywhere; its type is
  // the standard one (not declared in globals.d.ts).
  Object.defineProperty(target, "fetch", {
    value: Object.freeze(fetch),
    writable: false,
    configurable: false,
    enumerable: true,
  });
}
