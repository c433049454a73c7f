/**
 * What a script meets when it tries to load a module at run time: the
 * worker side of `script_imports.ts` (kept apart so the worker runtime does
 * not bundle the lexer).
 *
 * @module
 */

/**
 * The global every dynamic `import` of a script becomes: exactly as long as
 * `import`, so every column after it stays where the source map says.
 */
export const REFUSED_IMPORT = "_fimp_";

/** The explanation every refusal ends with (also for bundled npm packages that need Node). */
export const NO_MODULES_HINT = "flora scripts run as one bundle with no module loading: " +
  "node: built-ins, `process` and modules fetched at run time are not available. Use the SDK " +
  "(fetch, kv, discord…) instead, or a package that does not need Node's built-ins.";

/**
 * The function a script's dynamic imports call: always a rejected promise,
 * as `import()` gives for a module that cannot load.
 *
 * @example
 * ```ts
 * await refusedImport("node:fs"); // rejects: flora: import("node:fs") was refused. …
 * ```
 */
export function refusedImport(specifier: unknown): Promise<never> {
  const shown = typeof specifier === "string" ? JSON.stringify(specifier) : "…";
  return Promise.reject(new Error(`flora: import(${shown}) was refused. ${NO_MODULES_HINT}`));
}
