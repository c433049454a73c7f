/**
 * Bundles a project in the browser with esbuild (WebAssembly, from npm), so
 * the server never resolves an author's import specifiers: the only files
 * esbuild can see are the project's own, handed to it here; any other
 * import (`file:`, `npm:`, a URL, a path outside the project) is a bundle
 * error at its file:line. The source map lists every project file with its
 * text (type-only files too), so the revision reopens exactly as written.
 *
 * @module
 */

import * as esbuild from "esbuild-wasm/esm/browser.js";
import type { BundleRequest, BundleResult } from "./bundle_protocol.ts";

const NAMESPACE = "flora";
let ready: Promise<void> | null = null;

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

async function bundle(request: BundleRequest): Promise<BundleResult> {
  ready ??= esbuild.initialize({ wasmURL: request.wasmUrl, worker: false });
  await ready;
  return await build(request);
}

/** Bundles with esbuild already initialized. */
async function build(request: BundleRequest): Promise<BundleResult> {
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

self.onmessage = async (
  event: MessageEvent<(BundleRequest & { id: number }) | { type: "warm"; wasmUrl: string }>,
) => {
  const data = event.data;
  if ("type" in data) {
    // Compiling esbuild's WebAssembly takes a while: done ahead, while the author types.
    // A first small build too: the first one after start-up is slow (the code is still cold).
    ready ??= esbuild.initialize({ wasmURL: data.wasmUrl, worker: false }).then(() =>
      build({ entry: "warm.ts", files: { "warm.ts": "export const a: number = 1;" }, wasmUrl: "" })
    ).then(() => {});
    return;
  }
  self.postMessage({ id: data.id, result: await bundle(data) });
};
