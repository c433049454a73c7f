import assert from "node:assert/strict";
import { bundle, typeCheck } from "./bundle.ts";
import { CliError, ExitCode } from "./exit_codes.ts";

async function inTempDir(files: Record<string, string>, fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "flora-cli-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bundle inlines local imports and separates the source map", async () => {
  await inTempDir({
    "main.ts":
      `import { reply } from "./lib.ts";\ncreateBot({ prefixCommands: [prefix({ name: "hi", run: (ctx) => ctx.reply(reply) })] });\n`,
    "lib.ts": `export const reply: string = "hello";\n`,
  }, async (dir) => {
    const built = await bundle(`${dir}/main.ts`);
    assert.match(built.code, /"hello"/);
    assert.doesNotMatch(built.code, /import /);
    assert.doesNotMatch(built.code, /sourceMappingURL/);
    const map = JSON.parse(built.sourceMap!);
    assert.ok(map.sources.some((s: string) => s.endsWith("lib.ts")), map.sources.join());
  });
});

Deno.test("bundle reports a syntax error with file:line:column", async () => {
  await inTempDir({ "main.ts": `const x = ;\n` }, async (dir) => {
    await assert.rejects(() => bundle(`${dir}/main.ts`), (e: Error) => {
      assert.ok(e instanceof CliError && e.code === ExitCode.Script);
      assert.match(e.message, /main\.ts:1:11: SyntaxError: Expression expected/);
      return true;
    });
  });
});

Deno.test("bundle refuses a script that imports a node: built-in, saying why", async () => {
  await inTempDir({
    "main.ts": `import { readFileSync } from "node:fs";\nconsole.log(readFileSync);\n`,
  }, async (dir) => {
    await assert.rejects(() => bundle(`${dir}/main.ts`), (e: Error) => {
      assert.ok(e instanceof CliError && e.code === ExitCode.Script);
      assert.match(e.message, /imports "node:fs" \(line \d+\)\. .*no module loading/);
      return true;
    });
  });
});

Deno.test("typeCheck knows the SDK globals and reports type errors with file:line", async () => {
  await inTempDir({
    "ok.ts":
      `createBot({ slashCommands: [slash({ name: "a", description: "b", run: (ctx) => ctx.reply("c") })] });\n`,
    "bad.ts": `createBot({ prefix: 42 });\n`,
  }, async (dir) => {
    await typeCheck(`${dir}/ok.ts`);
    await assert.rejects(() => typeCheck(`${dir}/bad.ts`), (e: Error) => {
      assert.ok(e instanceof CliError && e.code === ExitCode.Script);
      assert.match(e.message, /bad\.ts:1:13/);
      return true;
    });
    const leftovers = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith(".flora-check"));
    assert.deepEqual(leftovers, []);
  });
});
