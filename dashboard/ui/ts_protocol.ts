/**
 * Requests the editor sends to its TypeScript worker (`ts_worker.ts`).
 * Paths are project paths (`main.ts`, `lib/util.ts`); positions are
 * offsets in the file's text.
 *
 * @module
 */

/** One request; the worker answers `{ id, result }` or `{ id, error }`. */
export type TsRequest =
  | { type: "init"; types: Record<string, string> }
  | { type: "files"; files: Record<string, string> }
  | { type: "diagnostics"; paths: string[] }
  | { type: "completions"; path: string; pos: number }
  | { type: "completionDetail"; path: string; pos: number; name: string }
  | { type: "quickInfo"; path: string; pos: number }
  | { type: "signatureHelp"; path: string; pos: number }
  | { type: "format"; path: string };

/** A type error or warning at a place in a file. */
export interface TsDiagnostic {
  path: string;
  from: number;
  to: number;
  line: number;
  column: number;
  severity: "error" | "warning";
  message: string;
}

/** Completions at a position. */
export interface TsCompletions {
  from: number;
  options: { label: string; type: string; boost: number }[];
}

/** Hover information. */
export interface TsQuickInfo {
  from: number;
  to: number;
  signature: string;
  doc: string;
}

/** The signature being called, with the argument the cursor is in. */
export interface TsSignatureHelp {
  prefix: string;
  params: string[];
  separator: string;
  suffix: string;
  active: number;
  doc: string;
}
