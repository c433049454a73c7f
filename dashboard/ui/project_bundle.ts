/**
 * Bundles a project's files with esbuild (WebAssembly, from npm) so that the
 * only files esbuild can see are the project's own, handed to it as a map:
 * any other import (`file:`, `npm:`, a URL, a path outside the project) is a
 * bundle error at its file:line. The source map lists every project file
 * with its exact text (type-only files too), so the revision reopens as
 * written. Used by the editor's bundler worker; tested in Deno.
 *
 * @module
 */

import type * as esbuild from "esbuild-wasm/esm/browser.js";
import type { BundleRequest, BundleResult } from "./bundle_protocol.ts";

/** The slice of esbuild's API this module needs (initialized by the caller). */
export type Esbuild = Pick<typeof esbuild, "build">;

const NAMESPACE = "flora";

/** Resolves `spec` relative to the project file `from` (both `/`-separated, no leading `/`). */
function resolvePath(from: string, spec: string): string | null {
  if (!spec.startsWith("./") && !spec.startsWith("../")) return null;
  const parts = from.split("/").slice(0, -1);
  for (const part of spec.split("/")) {
    if (part === "." || part === "") continue;
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}

function projectPlugin(files: Record<string, string>): esbuild.Plugin {
  return {
    name: "flora-project",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === "entry-point") return { path: args.path, namespace: NAMESPACE };
        const path = resolvePath(args.importer, args.path);
        const found = path === null
          ? null
          : [path, `${path}.ts`, `${path}/index.ts`].find((p) => p in files);
        if (found) return { path: found, namespace: NAMESPACE };
        return {
          errors: [{
            text: path === null
              ? `cannot import "${args.path}": a flora script imports only its own project's files ` +
                `("./util.ts"); the SDK's globals need no import`
              : `cannot import "${args.path}": the project has no file ${path}`,
          }],
        };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
        contents: files[args.path],
        loader: args.path.endsWith(".js") ? "js" : "ts",
      }));
    },
  };
}

/**
 * Bundles `request.files` from `request.entry` with an initialized esbuild.
 *
 * @example
 * ```ts
 * const r = await buildProject(esbuild, { entry: "main.ts", files: { "main.ts": "createBot({});" } });
 * if (r.ok) console.log(r.code.length);
 * ```
 */
export async function buildProject(
  esbuild: Esbuild,
  request: Omit<BundleRequest, "wasmUrl">,
): Promise<BundleResult> {
  try {
    const result = await esbuild.build({
      entryPoints: [request.entry],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      sourcemap: "external",
      outfile: "bundle.js",
      logLevel: "silent",
      plugins: [projectPlugin(request.files)],
    });
    const code = result.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
    const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith(".map"))!.text) as {
      sources: string[];
      sourcesContent: string[];
    };
    // Plain project paths: stack traces then name "main.ts:3", as the author knows the file.
    map.sources = map.sources.map((s) => s.replace(/^flora:/, ""));
    // Files that produced no code (type-only modules, files nothing imports yet) still belong to
    // the project: listed with their text, so the revision reopens with every file.
    const listed = new Set(map.sources);
    for (const [path, text] of Object.entries(request.files)) {
      if (listed.has(path)) continue;
      map.sources.push(path);
      map.sourcesContent.push(text);
    }
    // The original text, byte for byte (esbuild keeps it, but the editor's copy is the truth).
    map.sources.forEach((path, i) => {
      if (path in request.files) map.sourcesContent[i] = request.files[path];
    });
    return { ok: true, code, sourceMap: JSON.stringify(map) };
  } catch (error) {
    const failure = error as { errors?: esbuild.Message[] };
    const errors = (failure.errors ?? []).map((m) => ({
      path: m.location?.file.replace(/^flora:/, "") ?? request.entry,
      line: m.location?.line ?? 1,
      column: (m.location?.column ?? 0) + 1,
      message: m.text,
    }));
    if (errors.length === 0) {
      errors.push({ path: request.entry, line: 1, column: 1, message: String(error) });
    }
    return { ok: false, errors };
  }
}
