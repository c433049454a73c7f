/**
 * Maps the stack frames of a script's bundle back to the author's files
 * and lines with the source map the CLI uploaded. The worker marks frames
 * of the user's bundle as `flora-script:LINE:COL` (and drops flora's own
 * runtime frames), so only those are rewritten here.
 *
 * @module
 */

import { SourceMapConsumer } from "source-map-js";
import type { Deployment } from "../../storage/types.ts";

/** What the worker writes in place of the bundle's (blob) URL in stack frames. */
export const SCRIPT_FRAME_MARK = "flora-script";

const FRAME = new RegExp(`${SCRIPT_FRAME_MARK}:(\\d+):(\\d+)`, "g");
const consumers = new Map<string, SourceMapConsumer | null>();
const MAX_CACHED = 200;

function consumerFor(deployment: Deployment): SourceMapConsumer | null {
  if (consumers.has(deployment.id)) return consumers.get(deployment.id)!;
  let consumer: SourceMapConsumer | null = null;
  if (deployment.bundle.sourceMap) {
    try {
      consumer = new SourceMapConsumer(JSON.parse(deployment.bundle.sourceMap));
    } catch {
      consumer = null; // a broken map: frames keep bundle positions
    }
  }
  if (consumers.size >= MAX_CACHED) consumers.delete(consumers.keys().next().value!);
  consumers.set(deployment.id, consumer);
  return consumer;
}

/** A source's path without `file://` and leading `../` (bundlers write paths relative to their cwd). */
function pathOf(source: string): string {
  let path = source;
  try {
    if (source.startsWith("file://")) path = decodeURIComponent(new URL(source).pathname);
  } catch { /* keep it */ }
  return path.replace(/^(\.\.?\/)+/, "").replace(/^\/+/, "");
}

function sameFile(path: string, entry: string): boolean {
  const e = entry.replace(/^(\.\.?\/)+/, "").replace(/^\/+/, "");
  return path === e || path.endsWith(`/${e}`) || e.endsWith(`/${path}`);
}

/**
 * The source's path as the author knows it: the entry as they named it, and
 * other files relative to the entry's directory (as they imported them).
 */
function displayPath(source: string, entry: string, consumer: SourceMapConsumer): string {
  const path = pathOf(source);
  if (sameFile(path, entry)) return entry;
  const entryName = entry.split("/").at(-1)!;
  const entryDir = entry.slice(0, entry.length - entryName.length);
  const sources = (consumer as unknown as { sources: string[] }).sources.map(pathOf);
  const entrySource = sources.find((s) => sameFile(s, entry));
  if (entrySource) {
    const base = entrySource.slice(0, entrySource.length - entryName.length);
    if (path.startsWith(base)) return entryDir + path.slice(base.length);
  }
  return path;
}

/**
 * Rewrites `flora-script:L:C` frames of `text` to `file.ts:L:C` of the
 * author's sources; frames it cannot map name the entry with the bundle's
 * position.
 *
 * @example
 * ```ts
 * mapStackTrace(deployment, "Error: x\n    at run (flora-script:12:5)");
 * // "Error: x\n    at run (bot.ts:7:11)"
 * ```
 */
export function mapStackTrace(deployment: Deployment, text: string): string {
  if (!text.includes(SCRIPT_FRAME_MARK)) return text;
  const consumer = consumerFor(deployment);
  const entry = deployment.bundle.entry;
  return text.replace(FRAME, (_all, line: string, column: string) => {
    const position = consumer?.originalPositionFor({
      line: Number(line),
      column: Math.max(0, Number(column) - 1),
    });
    if (!position?.source || position.line == null) return `${entry} (bundle ${line}:${column})`;
    return `${displayPath(position.source, entry, consumer!)}:${position.line}:${
      (position.column ?? 0) + 1
    }`;
  });
}
