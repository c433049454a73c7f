/**
 * Bundles the worker runtime (bootstrap + SDK) into one JavaScript module,
 * once per host start. Every worker then starts from this text, so no
 * worker ever parses TypeScript or resolves imports.
 *
 * @module
 */

const ENTRY = new URL("./worker_main.ts", import.meta.url);

/** Returns the worker runtime as one ES module's source text. */
export async function bundleWorkerRuntime(): Promise<string> {
  const result = await Deno.bundle({
    entrypoints: [ENTRY.href],
    write: false,
    format: "esm",
    platform: "deno",
    minify: true,
  });
  if (!result.success || !result.outputFiles?.[0]) {
    const reasons = result.errors.map((e) => e.text).join("; ");
    throw new Error(`could not bundle the worker runtime: ${reasons}`);
  }
  return result.outputFiles[0].text();
}
