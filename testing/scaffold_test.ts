import assert from "node:assert/strict";
import { EXAMPLE_TEST, testKitDenoConfig } from "./scaffold.ts";

Deno.test("a project outside flora runs the example test with the kit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-project-" });
  try {
    const example = await Deno.readTextFile(new URL("../examples/ping.ts", import.meta.url));
    await Deno.writeTextFile(`${dir}/main.ts`, example.replace(/^\/\/\/ <reference .*\n/, ""));
    await Deno.writeTextFile(`${dir}/main_test.ts`, EXAMPLE_TEST);
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(await testKitDenoConfig()));
    // --no-check: type-checking flora's runtime again from the project takes ~30 s; the
    // repository's own check covers it.
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-check"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, output);
    assert.match(output, /ok \| 2 passed \| 0 failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
