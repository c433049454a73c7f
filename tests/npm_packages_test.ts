/**
 * npm packages in scripts: bundled on the author's side at deploy, so the
 * worker needs no network or permission to load them. A pure-JS package
 * (date-fns) works; one that reaches for the network (ky, over `fetch`)
 * deploys fine and fails at run time with the host's readable refusal.
 */

import assert from "node:assert/strict";
import { bundle } from "../client/bundle.ts";
import { CliError } from "../client/exit_codes.ts";
import { loadBot } from "../testing/mod.ts";

const SCRIPT = `
import { format } from "npm:date-fns@4";
import ky from "npm:ky@1";

createBot({
  prefixCommands: [
    prefix({ name: "date", run: (ctx) => ctx.reply(format(new Date(Date.UTC(1970, 0, 2, 12)), "EEEE d MMMM yyyy")) }),
    prefix({
      name: "fetch",
      run: async (ctx) => {
        try {
          await ky.get("https://api.example.com/data").json();
          await ctx.reply("fetched");
        } catch (error) {
          await ctx.reply("refused: " + (error as Error).message);
        }
      },
    }),
  ],
});
`;

async function withScript(fn: (entry: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "flora-npm-" });
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, SCRIPT);
    await fn(`${dir}/main.ts`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("npm packages are bundled into the script: no import is left for the worker to load", () =>
  withScript(async (entry) => {
    const built = await bundle(entry);
    assert.doesNotMatch(built.code, /\bfrom\s*["']npm:|import\(["']npm:/);
    assert.match(built.code, /date-fns/, "the package's code is inlined");
  }));

Deno.test({
  name: "a pure-JS npm package runs; one that reaches the network fails at run time, readably",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withScript(async (entry) => {
      const bot = await loadBot(entry); // deploys: the network package is not refused here
      try {
        await bot.member("bob").send("!date");
        await bot.expectMessage("Friday 2 January 1970");
        await bot.member("bob").send("!fetch");
        await bot.expectMessage(
          "refused: fetch https://api.example.com/data: outbound fetch is off for this deployment: deploy with --allow-fetch <host> to allow hosts",
        );
      } finally {
        await bot.close();
      }
    }),
});

Deno.test("a bundle over the size limit is refused before upload, naming the packages that fill it", () =>
  withScript(async (entry) => {
    await assert.rejects(() => bundle(entry, { maxBytes: 20 * 1024 }), (error) => {
      assert.ok(error instanceof CliError);
      assert.match(
        error.message,
        /main\.ts bundles to \d+ KiB \(code and source map\); a deployment may be at most 20 KiB/,
      );
      assert.match(
        error.message,
        /What takes the room:\n {2}npm:date-fns@4\.\d+\.\d+: \d+ KiB of source/,
      );
      assert.match(error.message, /npm:ky@1\.\d+\.\d+/);
      return true;
    });
  }));
