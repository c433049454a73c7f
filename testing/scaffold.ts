/**
 * What a bot project needs to test its script with this flora checkout's
 * test kit: `deno.json` imports (flora's own, plus `flora/testing`), the
 * unstable APIs the runtime uses, and an example test. `flora init` writes
 * the example; `flora test` maps the imports in at run time (the project's
 * deno.json names no checkout). The kit needs flora's sources on disk.
 *
 * @example
 * ```ts
 * const config = { tasks: { test: "deno test -A" }, ...testKitDenoConfig() };
 * await Deno.writeTextFile("my-bot/deno.json", JSON.stringify(config, null, 2));
 * await Deno.writeTextFile("my-bot/main_test.ts", EXAMPLE_TEST);
 * ```
 *
 * @module
 */

/** `deno.json` fields that make `import … from "flora/testing"` work in a project. */
export interface TestKitDenoConfig {
  imports: Record<string, string>;
  unstable: string[];
}

/** The imports and unstable flags for a project using this checkout's test kit. */
export async function testKitDenoConfig(): Promise<TestKitDenoConfig> {
  const flora = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const imports: Record<string, string> = {};
  // flora's modules import these bare names; the project's import map must resolve them.
  for (const [name, target] of Object.entries(flora.imports as Record<string, string>)) {
    if (target.startsWith("npm:") || target.startsWith("jsr:")) imports[name] = target;
  }
  imports["flora/testing"] = new URL("./mod.ts", import.meta.url).href;
  return { imports, unstable: ["kv", "bundle", "worker-options"] };
}

/** An example test for the `main.ts` that `flora init` writes (/ping and !ping). */
export const EXAMPLE_TEST =
  `// Runs main.ts in flora's sandbox against the built-in Discord emulator and
// talks to it as guild members. Run it with: deno task test
import assert from "node:assert/strict";
import { testBot } from "flora/testing";

const MAIN = new URL("./main.ts", import.meta.url);

testBot("/ping answers pong", MAIN, async (bot) => {
  const reply = await bot.member("bob").slash("ping");
  assert.equal(reply.message?.content, "pong!");
});

testBot("!ping answers pong", MAIN, async (bot) => {
  await bot.member("alice").send("!ping");
  await bot.expectMessage("pong!");
});
`;
