/**
 * `task install` on a machine with only Node and npm: the README's command
 * installs a `flora` that runs without `deno` on PATH.
 */

import assert from "node:assert/strict";
import { nodeOnlyPath, runAsPrinted } from "./helpers/node_only_path.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test({
  name: "task install puts a flora on the machine that works without deno on PATH",
  sanitizeResources: false,
  async fn() {
    const path = await nodeOnlyPath();
    const root = await Deno.makeTempDir({ prefix: "flora-install-" });
    try {
      const readme = await Deno.readTextFile(new URL("README.md", ROOT));
      const line = readme.split("\n").find((l) => l.startsWith("npx -y deno@2.9.6 task install"));
      assert.ok(line, "the README shows the install command");
      const command = line.replace(/\s+#.*$/, "");
      const installed = await runAsPrinted(`DENO_INSTALL_ROOT=${root} ${command}`, path, ROOT);
      assert.equal(installed.code, 0, installed.stderr);
      assert.match(installed.stdout, new RegExp(`Installed flora: ${root}/bin/flora`));
      assert.match(installed.stdout, new RegExp(`export PATH="${root}/bin:\\$PATH"`));

      const help = await runAsPrinted("flora --help", `${root}/bin:${path}`, root);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /Usage: flora <command>/);
      const unknown = await runAsPrinted("flora nope", `${root}/bin:${path}`, root);
      assert.equal(unknown.code, 2, unknown.stderr);
    } finally {
      await Deno.remove(root, { recursive: true }).catch(() => {});
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
  },
});
