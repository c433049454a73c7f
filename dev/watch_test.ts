import assert from "node:assert/strict";
import { isWatchedSource, watchScript } from "./watch.ts";

Deno.test("only the script's sources count as changes", () => {
  const ignored = ["/p/.flora/dev"];
  assert.equal(isWatchedSource("/p/main.ts", ignored), true);
  assert.equal(isWatchedSource("/p/lib/util.tsx", ignored), true);
  assert.equal(isWatchedSource("/p/config.json", ignored), true);
  assert.equal(isWatchedSource("/p/notes.md", ignored), false);
  assert.equal(isWatchedSource("/p/.flora-check-1234.ts", ignored), false);
  assert.equal(isWatchedSource("/p/node_modules/x/index.js", ignored), false);
  assert.equal(isWatchedSource("/p/.flora/dev/dev-guild.json", ignored), false);
});

Deno.test("saves are reported (debounced) with the changed source files only", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "flora-watch-" }));
  const changes: string[][] = [];
  const reported = Promise.withResolvers<void>();
  const watcher = watchScript(dir, (paths) => {
    changes.push(paths);
    reported.resolve();
  }, { debounceMs: 100 });
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, "1");
    await Deno.writeTextFile(`${dir}/main.ts`, "2");
    await Deno.writeTextFile(`${dir}/notes.md`, "ignored");
    await reported.promise;
    assert.deepEqual([...new Set(changes.flat())], [`${dir}/main.ts`]);
  } finally {
    watcher.close();
    await Deno.remove(dir, { recursive: true });
  }
});
