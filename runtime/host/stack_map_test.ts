import assert from "node:assert/strict";
import { SourceMapGenerator } from "source-map-js";
import type { Deployment } from "../../storage/types.ts";
import { mapStackTrace } from "./stack_map.ts";

function deployment(entry: string, sourceMap?: string): Deployment {
  return {
    id: crypto.randomUUID(),
    guildId: "1",
    revision: 1,
    status: "active",
    createdBy: "t",
    createdAt: "",
    updatedAt: "",
    bundle: { entry, code: "", sourceMap },
  };
}

Deno.test("script frames map to the author's files; unmapped ones keep the bundle position", () => {
  const map = new SourceMapGenerator({ file: "bundle.js" });
  map.addMapping({
    generated: { line: 10, column: 4 },
    original: { line: 3, column: 2 },
    source: "../../home/ann/bot/main.ts",
  });
  map.addMapping({
    generated: { line: 20, column: 0 },
    original: { line: 7, column: 8 },
    source: "../../home/ann/bot/lib/util.ts",
  });
  const d = deployment("bot/main.ts", map.toString());
  const stack = "Error: x\n    at run (flora-script:10:5)\n    at flora-script:20:1";
  assert.equal(
    mapStackTrace(d, stack),
    "Error: x\n    at run (bot/main.ts:3:3)\n    at bot/lib/util.ts:7:9",
  );
  assert.equal(
    mapStackTrace(deployment("main.ts"), "at flora-script:3:4"),
    "at main.ts (bundle 3:4)",
  );
  assert.equal(mapStackTrace(d, "no frames here"), "no frames here");
});
