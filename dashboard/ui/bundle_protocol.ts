/**
 * What the editor asks its bundler worker (`bundler_worker.ts`) and what it
 * answers.
 *
 * @module
 */

/** Bundle these project files from `entry`. */
export interface BundleRequest {
  entry: string;
  files: Record<string, string>;
  /** Where esbuild's WebAssembly is served (flora's own assets). */
  wasmUrl: string;
}

/** A bundle error at a place in a project file. */
export interface BundleError {
  path: string;
  line: number;
  column: number;
  message: string;
}

/** The bundle, or why there is none. */
export type BundleResult =
  | { ok: true; code: string; sourceMap: string }
  | { ok: false; errors: BundleError[] };
