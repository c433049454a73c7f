/**
 * Installs the SDK's globals (`createBot`, `slash`, `prefix`, `on`) on the
 * worker's global scope, read-only so a script cannot swap them out.
 *
 * @module
 */

import { createBot, on } from "./bot.ts";
import { prefix, slash } from "./commands.ts";
import { installConsole } from "./console.ts";
import { OptionType } from "./types.ts";

/** The globals every script sees, without imports. */
export const globals = { createBot, on, slash, prefix, OptionType } as const;

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
}
