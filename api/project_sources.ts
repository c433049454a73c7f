/**
 * A deployed revision's project, read back from its source map: the map's
 * `sources` and `sourcesContent` hold each file exactly as written (the
 * dashboard's bundler also lists the files that produced no code, such as
 * type-only modules), so a revision opens in the editor as it was deployed.
 *
 * @module
 */

/** One file of a project. */
export interface ProjectFile {
  /** Path within the project, `/`-separated, no leading `./` or `../`. */
  path: string;
  content: string;
}

/**
 * A name as a project path: a bundler namespace prefix (`flora:`) and
 * leading `./` / `../` segments removed.
 */
function projectPath(source: string): string {
  let path = source.replace(/^[a-z][a-z0-9-]*:(?!\/\/)/i, "");
  if (path.startsWith("file://")) path = new URL(path).pathname;
  while (path.startsWith("./") || path.startsWith("../")) path = path.replace(/^\.\.?\//, "");
  return path.replace(/^\/+/, "");
}

/**
 * The project files a source map carries, in its order; `[]` when the map is
 * absent, not JSON, or has no `sourcesContent`. Files whose content is
 * missing are left out, and a path seen twice keeps its first content.
 *
 * @example
 * ```ts
 * const map = JSON.stringify({ version: 3, sources: ["flora:main.ts"], sourcesContent: ["createBot({})"], mappings: "" });
 * projectFiles(map); // [{ path: "main.ts", content: "createBot({})" }]
 * ```
 */
export function projectFiles(sourceMap: string | undefined): ProjectFile[] {
  if (!sourceMap) return [];
  let map: { sources?: unknown; sourcesContent?: unknown };
  try {
    map = JSON.parse(sourceMap);
  } catch {
    return [];
  }
  if (!Array.isArray(map.sources) || !Array.isArray(map.sourcesContent)) return [];
  const files: ProjectFile[] = [];
  const seen = new Set<string>();
  map.sources.forEach((source, i) => {
    const content = (map.sourcesContent as unknown[])[i];
    if (typeof source !== "string" || typeof content !== "string") return;
    const path = projectPath(source);
    if (path === "" || seen.has(path)) return;
    seen.add(path);
    files.push({ path, content });
  });
  return files;
}
