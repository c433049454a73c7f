import assert from "node:assert/strict";
import * as esbuild from "esbuild-wasm/esm/browser.js";
import { packageDir } from "../assets.ts";
import { buildProject } from "./project_bundle.ts";

const wasm = await Deno.readFile(`${await packageDir("esbuild-wasm")}/esbuild.wasm`);
await esbuild.initialize({ wasmModule: await WebAssembly.compile(wasm), worker: false });

Deno.test("buildProject bundles the project's local modules into one module", async () => {
  const r = await buildProject(esbuild, {
    entry: "main.ts",
    files: {
      "main.ts": 'import { greet } from "./lib/greet.ts";\ncreateBot({});\nconsole.log(greet());\n',
      "lib/greet.ts":
        'import type { Name } from "../types.ts";\nexport const greet = (): Name => "hi";\n',
      "types.ts": "export type Name = string;\n",
    },
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.doesNotMatch(r.code, /\bimport\b/);
  assert.match(r.code, /"hi"/);
  // Every file is in the map with its exact text, the type-only one too.
  const map = JSON.parse(r.sourceMap) as { sources: string[]; sourcesContent: string[] };
  assert.deepEqual([...map.sources].sort(), ["lib/greet.ts", "main.ts", "types.ts"]);
  assert.equal(map.sourcesContent[map.sources.indexOf("types.ts")], "export type Name = string;\n");
});

Deno.test("buildProject refuses every import outside the project, at file:line", async () => {
  for (
    const spec of [
      "file:///etc/hostname",
      "/etc/hostname",
      "../outside.ts",
      "npm:left-pad",
      "https://example.com/x.ts",
      "node:fs",
    ]
  ) {
    const r = await buildProject(esbuild, {
      entry: "main.ts",
      files: {
        "main.ts": `createBot({});\nimport x from ${JSON.stringify(spec)};\nconsole.log(x);\n`,
      },
    });
    assert.equal(r.ok, false, spec);
    if (r.ok) continue;
    assert.equal(r.errors[0].path, "main.ts", spec);
    assert.equal(r.errors[0].line, 2, spec);
    assert.match(r.errors[0].message, /cannot import/, spec);
  }
});

Deno.test("buildProject names a missing project file", async () => {
  const r = await buildProject(esbuild, {
    entry: "main.ts",
    files: { "main.ts": 'import "./util.ts";\n' },
  });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.errors[0].message, /the project has no file util\.ts/);
});
