/**
 * The deploy size limit, checked on the author's side: npm packages are
 * bundled into the script, so a big one can push it over. The refusal names
 * what takes the room (per npm package, else per file), from the source map.
 *
 * @module
 */

import { DEFAULT_DEPLOYMENT_LIMITS } from "../storage/deployment_input.ts";
import { CliError, ExitCode } from "./exit_codes.ts";

/** Largest code plus source map a deployment may carry: the host's default limit. */
export const MAX_BUNDLE_BYTES = DEFAULT_DEPLOYMENT_LIMITS.maxBundleBytes;

const NPM_FILE = /registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\/([^/]+)\//;
const encoder = new TextEncoder();

/**
 * Bytes of source per npm package (`npm:name@version`) or local file, largest
 * first, from a source map's `sources` and `sourcesContent`.
 *
 * @example
 * ```ts
 * largestInputs(bundle.sourceMap!)[0]; // { name: "npm:date-fns@4.4.0", bytes: 51234 }
 * ```
 */
export function largestInputs(sourceMap: string): { name: string; bytes: number }[] {
  let map: { sources?: string[]; sourcesContent?: (string | null)[] };
  try {
    map = JSON.parse(sourceMap);
  } catch {
    return [];
  }
  const sizes = new Map<string, number>();
  (map.sources ?? []).forEach((source, i) => {
    const npm = NPM_FILE.exec(source);
    const name = npm ? `npm:${npm[1]}@${npm[2]}` : source.replace(/^(\.\.\/)+/, "");
    const bytes = encoder.encode(map.sourcesContent?.[i] ?? "").length;
    sizes.set(name, (sizes.get(name) ?? 0) + bytes);
  });
  return [...sizes].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

const kib = (bytes: number) => `${Math.ceil(bytes / 1024)} KiB`;

/**
 * Throws a {@linkcode CliError} when code plus source map exceed `maxBytes`,
 * naming the largest inputs.
 */
export function checkBundleSize(
  bundle: { entry: string; code: string; sourceMap?: string },
  maxBytes = MAX_BUNDLE_BYTES,
): void {
  const total = encoder.encode(bundle.code).length + encoder.encode(bundle.sourceMap ?? "").length;
  if (total <= maxBytes) return;
  const largest = largestInputs(bundle.sourceMap ?? "").slice(0, 5)
    .map((input) => `  ${input.name}: ${kib(input.bytes)} of source`);
  throw new CliError(
    ExitCode.Script,
    `${bundle.entry} bundles to ${kib(total)} (code and source map); a deployment may be at most ${
      kib(maxBytes)
    }. Import less (e.g. one function of a package, not all of it) or a smaller package.${
      largest.length ? `\nWhat takes the room:\n${largest.join("\n")}` : ""
    }`,
  );
}
