import assert from "node:assert/strict";
import { lexerReady, sealScript } from "./script_imports.ts";
import { REFUSED_IMPORT, refusedImport } from "./no_modules.ts";

await lexerReady;

Deno.test("sealScript rewrites dynamic imports in place, keeping every column", () => {
  const code = 'const a = await import("node:fs");\nconst b = import ( /* c */ x, {});\n' +
    'const s = "import(\'y\')"; // import("z")\nconst u = import.meta.url;\n';
  const sealed = sealScript(code);
  assert.ok(sealed.ok);
  assert.equal(sealed.code.length, code.length);
  assert.equal(
    sealed.code,
    code.replace('import("node:fs")', `${REFUSED_IMPORT}("node:fs")`)
      .replace("import ( /* c */", `${REFUSED_IMPORT} ( /* c */`),
  );
});

Deno.test("sealScript refuses a static import with the specifier and its line", () => {
  const sealed = sealScript('createBot({});\nimport { readFileSync } from "node:fs";\n');
  assert.equal(sealed.ok, false);
  assert.match(!sealed.ok ? sealed.error : "", /imports "node:fs" \(line 2\).*node: built-ins/);
  const reexport = sealScript('export * from "node:child_process";');
  assert.match(!reexport.ok ? reexport.error : "", /imports "node:child_process"/);
});

Deno.test("sealScript leaves a script without imports untouched", () => {
  const code = "createBot({ prefixCommands: [] });\nconst r = /import(x)/;";
  assert.deepEqual(sealScript(code), { ok: true, code });
});

Deno.test("sealScript refuses what it cannot lex, with the line", () => {
  const sealed = sealScript("const x = 1;\nconst y = `unterminated");
  assert.equal(sealed.ok, false);
  assert.match(!sealed.ok ? sealed.error : "", /not valid JavaScript/);
});

Deno.test("refusedImport rejects with the specifier and the reason", async () => {
  await assert.rejects(refusedImport("node:fs"), /import\("node:fs"\) was refused.*SDK/);
});
