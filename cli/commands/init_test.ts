import assert from "node:assert/strict";
import { main } from "../main.ts";
import type { Output } from "../output.ts";

function capture(): Output & { text: () => string } {
  const lines: string[] = [];
  return {
    info: (t) => lines.push(t),
    progress: (t) => lines.push(t),
    error: (t) => lines.push(t),
    json: (v) => lines.push(JSON.stringify(v)),
    text: () => lines.join("\n"),
  };
}

async function denoIn(dir: string, args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  return { ok: output.success, text };
}

Deno.test("flora init scaffolds a project whose test type-checks the script against the SDK", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-init-" });
  try {
    const out = capture();
    assert.equal(await main(["init", dir, "--guild", "100000000000000001"], out), 0, out.text());
    const config = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`));
    assert.equal(config.tasks.deploy, "flora deploy --guild 100000000000000001 main.ts");
    assert.deepEqual(config.compilerOptions.types, ["./.flora/types/sdk/globals.d.ts"]);
    await Deno.stat(`${dir}/.flora/types/runtime/sandbox/protocol/values.ts`);

    // The test kit's example test is scaffolded; `flora test` maps the kit in (below).
    assert.match(await Deno.readTextFile(`${dir}/main_test.ts`), /from "flora\/testing"/);
    // The type-check test passes as is, and fails with file:line once the script has a type error.
    const check = ["test", "--no-check", "--allow-run", "--allow-read", "check_test.ts"];
    const passing = await denoIn(dir, check);
    assert.ok(passing.ok, passing.text);
    await Deno.writeTextFile(`${dir}/main.ts`, `createBot({ prefix: 42 });\n`);
    const failing = await denoIn(dir, check);
    assert.ok(!failing.ok);
    assert.match(failing.text, /main\.ts:1:13/);

    // A second init does not overwrite the author's files without --force.
    const again = capture();
    assert.equal(await main(["init", dir], again), 1);
    assert.match(again.text(), /already exist.*--force/);
    assert.equal(await Deno.readTextFile(`${dir}/main.ts`), `createBot({ prefix: 42 });\n`);
    assert.equal(await main(["init", dir, "--types-only"], capture()), 0);
    assert.equal(await Deno.readTextFile(`${dir}/main.ts`), `createBot({ prefix: 42 });\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("flora init makes a project that stands alone: moved elsewhere, flora test runs it", async () => {
  const parent = await Deno.makeTempDir({ prefix: "flora-init-" });
  try {
    assert.equal(await main(["init", `${parent}/made-here`], capture()), 0);
    const config = await Deno.readTextFile(`${parent}/made-here/deno.json`);
    // Nothing points into flora's checkout, and no import map rides along.
    assert.doesNotMatch(config, /file:|"imports"|postgres|redis|playwright/);
    const tasks = JSON.parse(config).tasks;
    assert.deepEqual(Object.values(tasks).filter((t) => !/^(deno|flora) /.test(String(t))), []);
    assert.equal(tasks.test, "flora test");

    await Deno.mkdir(`${parent}/elsewhere`);
    await Deno.rename(`${parent}/made-here`, `${parent}/elsewhere/bot`);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "test"],
      cwd: `${parent}/elsewhere/bot`,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, text);
    assert.match(text, /ok \| 3 passed \| 0 failed/);
    assert.equal(
      await Deno.readTextFile(`${parent}/elsewhere/bot/.gitignore`),
      ".flora/import_map.json\n",
    );
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("flora test outside a project says what to do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-test-" });
  const cwd = Deno.cwd();
  try {
    Deno.chdir(dir);
    const out = capture();
    assert.equal(await main(["test"], out), 2);
    assert.match(
      out.text(),
      /no deno\.json in \.: run flora test in a project \(flora init makes one\)/,
    );
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
});
