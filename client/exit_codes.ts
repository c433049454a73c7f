/**
 * Exit codes scripts can rely on (documented in docs/cli.md).
 *
 * @module
 */

export const ExitCode = {
  Ok: 0,
  /** The operation ran and failed (e.g. the script failed to load). */
  Failed: 1,
  /** Bad usage or configuration: fix the command line. */
  Usage: 2,
  /** The API could not be reached or answered with an error. */
  Api: 3,
  /** The script has a syntax or type error; nothing was uploaded. */
  Script: 4,
  /** Not logged in, or the token may not do this (401/403). */
  Auth: 5,
  /** The thing asked for does not exist (404: no deployment, key, revision…). */
  NotFound: 6,
} as const;

/** An error that ends the CLI with a given exit code and message. */
export class CliError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}
