/**
 * Bundles the playground's front end (`ui/main.tsx`, Hono JSX for the DOM)
 * for the browser once per process, so the page needs no build step.
 *
 * @module
 */

const ENTRY = new URL("./ui/main.tsx", import.meta.url);

let built: Promise<string> | undefined;

/** The front end as one ES module (built on first use, then cached). */
export function buildClient(): Promise<string> {
  built ??= (async () => {
    const result = await Deno.bundle({
      entrypoints: [ENTRY.href],
      write: false,
      format: "esm",
      platform: "browser",
      minify: true,
    });
    const file = result.outputFiles?.[0];
    if (!result.success || !file) {
      built = undefined;
      throw new Error(
        `could not build the playground front end: ${result.errors.map((e) => e.text).join("; ")}`,
      );
    }
    return file.text();
  })();
  return built;
}
