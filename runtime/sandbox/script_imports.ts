/**
 * Seals a guild script's module loading. A script is one bundle: everything
 * it needs (its files, and npm packages bundled on the author's side) is in
 * its text, and it reaches the outside only through the SDK. Loading a
 * module at run time is how the `node:` compatibility layer (`process`,
 * `node:child_process`, `node:worker_threads`…) would get in, since Deno
 * serves those to any worker whatever its permissions. So, at the source,
 * without naming modules:
 *
 * - a static `import`/`export … from` is refused (at deploy, and again when
 *   a worker starts);
 * - every dynamic `import(…)` is rewritten, keyword for keyword (same length,
 *   so source maps still hold), into a call of {@linkcode REFUSED_IMPORT}, a
 *   function the worker runtime defines to reject with a clear error.
 *
 * Code built from strings at run time (`eval`, `new Function`) could write
 * `import(…)` anew: sandbox processes run with V8's
 * `--disallow-code-generation-from-strings` (see `pool.ts`).
 *
 * @module
 */

import { init, parse } from "es-module-lexer/js";
import { NO_MODULES_HINT, REFUSED_IMPORT } from "./no_modules.ts";

/** What sealing a script gave: its code to run, or why it cannot run. */
export type SealedScript = { ok: true; code: string } | { ok: false; error: string };

/** Resolves once the lexer is ready; {@linkcode sealScript} needs it first. */
export const lexerReady: Promise<void> = init();

function lineOf(code: string, index: number): number {
  let line = 1;
  for (let i = code.indexOf("\n"); i !== -1 && i < index; i = code.indexOf("\n", i + 1)) line++;
  return line;
}

/**
 * Checks a script and rewrites its dynamic imports (await
 * {@linkcode lexerReady} once before the first call).
 *
 * @example
 * ```ts
 * await lexerReady;
 * sealScript(`const fs = await import("node:fs");`);
 * // { ok: true, code: `const fs = await _fimp_("node:fs");` }
 * sealScript(`import fs from "node:fs";`).ok; // false: names node:fs and line 1
 * ```
 */
export function sealScript(code: string): SealedScript {
  let imports;
  try {
    [imports] = parse(code);
  } catch (error) {
    const at = (error as { idx?: number }).idx;
    const where = typeof at === "number" ? ` at line ${lineOf(code, at)}` : "";
    return { ok: false, error: `the script is not valid JavaScript${where}: ${error}` };
  }
  const dynamic: number[] = [];
  for (const found of imports) {
    if (found.type === "dynamic") {
      dynamic.push(found.importStart);
    } else if (found.type !== "import-meta") {
      return {
        ok: false,
        error:
          `the script imports "${found.specifier}" (line ${lineOf(code, found.importStart)}). ` +
          NO_MODULES_HINT,
      };
    }
  }
  if (dynamic.length === 0) return { ok: true, code };
  let sealed = "";
  let from = 0;
  for (const start of dynamic) {
    sealed += code.slice(from, start) + REFUSED_IMPORT;
    from = start + "import".length;
  }
  return { ok: true, code: sealed + code.slice(from) };
}
