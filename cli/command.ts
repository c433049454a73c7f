/**
 * The shape of a CLI command: what `flora --help` lists and `main` runs.
 *
 * @module
 */

import type { Output } from "./output.ts";

export interface Command {
  summary: string;
  help: string;
  /** Resolves to the exit code. */
  run(argv: string[], out: Output): Promise<number>;
}
