import assert from "node:assert/strict";
import { floraCommand, installCommand } from "./cli_invocation.ts";

async function binDir(...names: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "flora-bin-" });
  for (const name of names) {
    await Deno.writeTextFile(`${dir}/${name}`, "#!/bin/sh\n", { mode: 0o755 });
  }
  return dir;
}

Deno.test("floraCommand prints the npx form when deno is only npx's", async () => {
  const dir = await binDir("deno");
  try {
    const env = { PATH: dir, npm_lifecycle_event: "npx" };
    assert.equal(floraCommand(env), "npx -y deno@2.9.6 task flora");
    assert.equal(installCommand(env), "npx -y deno@2.9.6 task install");
    assert.equal(floraCommand({ PATH: "/nonexistent" }), "npx -y deno@2.9.6 task flora");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("floraCommand uses the user's deno, and an installed flora first", async () => {
  const withDeno = await binDir("deno");
  const withFlora = await binDir("deno", "flora");
  try {
    assert.equal(floraCommand({ PATH: withDeno }), "deno task flora");
    assert.equal(installCommand({ PATH: withDeno }), "deno task install");
    assert.equal(floraCommand({ PATH: `/nonexistent:${withFlora}` }), "flora");
    assert.equal(installCommand({ PATH: withFlora }), undefined);
  } finally {
    await Deno.remove(withDeno, { recursive: true });
    await Deno.remove(withFlora, { recursive: true });
  }
});
