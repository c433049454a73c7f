import assert from "node:assert/strict";
import { projectFiles } from "./project_sources.ts";

const map = (sources: unknown[], sourcesContent: unknown[]) =>
  JSON.stringify({ version: 3, sources, sourcesContent, mappings: "" });

Deno.test("projectFiles reads each file exactly as written, in the map's order", () => {
  const files = projectFiles(
    map(["flora:main.ts", "flora:lib/util.ts"], ["import './lib/util.ts';\n", "export {}\r\n"]),
  );
  assert.deepEqual(files, [
    { path: "main.ts", content: "import './lib/util.ts';\n" },
    { path: "lib/util.ts", content: "export {}\r\n" },
  ]);
});

Deno.test("projectFiles turns a CLI bundle's relative and file: names into project paths", () => {
  const files = projectFiles(map(["../../src/main.ts", "file:///work/bot/a.ts"], ["x", "y"]));
  assert.deepEqual(files.map((f) => f.path), ["src/main.ts", "work/bot/a.ts"]);
});

Deno.test("projectFiles leaves out files without content and repeated paths", () => {
  const files = projectFiles(map(["a.ts", "b.ts", "flora:a.ts"], ["1", null, "3"]));
  assert.deepEqual(files, [{ path: "a.ts", content: "1" }]);
});

Deno.test("projectFiles answers [] for a missing or malformed map", () => {
  assert.deepEqual(projectFiles(undefined), []);
  assert.deepEqual(projectFiles("{not json"), []);
  assert.deepEqual(projectFiles(JSON.stringify({ version: 3, sources: ["a.ts"] })), []);
});
