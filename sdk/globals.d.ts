/**
 * Type declarations of the globals a flora script sees. Reference this file
 * (`/// <reference types="…/sdk/globals.d.ts" />`) so an editor completes
 * the SDK; `flora deploy` type-checks scripts against it.
 *
 * @module
 */

import type { globals } from "./globals.ts";

declare global {
  /** Declares the bot's commands; call once at the top level. */
  const createBot: typeof globals.createBot;
  /** Subscribes to one of this guild's gateway events. */
  const on: typeof globals.on;
  /** Defines a slash command. */
  const slash: typeof globals.slash;
  /** Defines a prefix command (e.g. `!ping`). */
  const prefix: typeof globals.prefix;
  /** Discord's slash command option types. */
  const OptionType: typeof globals.OptionType;
}
