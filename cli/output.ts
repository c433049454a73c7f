/**
 * Where the CLI writes: results to stdout, progress and errors to stderr,
 * so `--json` output stays machine-readable.
 *
 * @module
 */

export interface Output {
  info(text: string): void;
  progress(text: string): void;
  error(text: string): void;
  json(value: unknown): void;
}

/** The terminal. */
export const consoleOutput: Output = {
  info: (text) => console.log(text),
  progress: (text) => console.error(text),
  error: (text) => console.error(text),
  json: (value) => console.log(JSON.stringify(value, null, 2)),
};
