import assert from "node:assert/strict";
import { globals } from "./globals.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("globals.d.ts declares every global as typeof its implementation, and nothing else", async () => {
  const text = await Deno.readTextFile(new URL("sdk/globals.d.ts", ROOT));
  const declared = [...text.matchAll(/^\s*const (\w+): typeof globals\.(\w+);/gm)];
  for (const [, name, impl] of declared) assert.equal(name, impl, `${name} is declared as ${impl}`);
  assert.deepEqual(declared.map((m) => m[1]).sort(), Object.keys(globals).sort());
});

Deno.test("the examples and the typing checks type-check against the SDK declarations", async () => {
  const examples = [...Deno.readDirSync(new URL("examples/", ROOT))]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => `examples/${e.name}`);
  assert.ok(examples.length >= 6, examples.join(", "));
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "check",
      "--quiet",
      ...examples,
      "sdk/testdata/typing.ts",
      "tests/fixtures/sdk_bot/main.ts",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
});
