import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

async function compile(output: string, env: Record<string, string> = {}) {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/compile.ts", output],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: result.code, stderr: new TextDecoder().decode(result.stderr) };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("compile builds the binary, or says in one line why not and leaves nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-compile-" });
  try {
    const run = await compile(`${dir}/dist/flora`);
    if (run.code === 0) {
      // denort is cached or downloadable here: the task is the real deno compile.
      assert.ok(exists(`${dir}/dist/flora`));
      return;
    }
    assert.equal(run.code, 1);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^flora compile: cannot build .*denort.*deno task install/);
    assert.doesNotMatch(run.stderr, /backtrace/i);
    assert.ok(!exists(`${dir}/dist`), "no empty dist/ is left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compile names a DENORT_BIN that is not a file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-compile-" });
  try {
    const run = await compile(`${dir}/dist/flora`, { DENORT_BIN: `${dir}/nope` });
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`DENORT_BIN names ${dir}/nope, which is not a file`));
    assert.ok(!exists(`${dir}/dist`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
