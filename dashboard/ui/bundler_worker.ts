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
import { buildProject } from "./project_bundle.ts";

let ready: Promise<void> | null = null;

async function bundle(request: BundleRequest): Promise<BundleResult> {
  ready ??= esbuild.initialize({ wasmURL: request.wasmUrl, worker: false });
  await ready;
  return await buildProject(esbuild, request);
}

self.onmessage = async (
  event: MessageEvent<(BundleRequest & { id: number }) | { type: "warm"; wasmUrl: string }>,
) => {
  const data = event.data;
  if ("type" in data) {
    // Compiling esbuild's WebAssembly takes a while: done ahead, while the author types.
    // A first small build too: the first one after start-up is slow (the code is still cold).
    ready ??= esbuild.initialize({ wasmURL: data.wasmUrl, worker: false }).then(() =>
      buildProject(esbuild, { entry: "warm.ts", files: { "warm.ts": "export const a = 1;" } })
    ).then(() => {});
    return;
  }
  self.postMessage({ id: data.id, result: await bundle(data) });
};
