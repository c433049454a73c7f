/**
 * `task start` and `task emulator` with a port already taken: the error names
 * the port and what to change, and the defaults of the two never clash.
 */

import assert from "node:assert/strict";
import { loadConfig } from "../runtime/config.ts";

const ROOT = new URL("../", import.meta.url);

async function run(script: string, env: Record<string, string>, args: string[] = []) {
  const dataDir = await Deno.makeTempDir({ prefix: "flora-ports-" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, ...args],
      cwd: ROOT,
      env: { FLORA_DATA_DIR: dataDir, NO_COLOR: "1", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

Deno.test("the emulator and the API have distinct default ports", () => {
  const config = loadConfig({});
  assert.notEqual(config.emulatorPort, config.apiPort);
});

Deno.test({
  name: "task start names the taken port and the variable that sets it",
  sanitizeResources: false,
  async fn() {
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = String((taken.addr as Deno.NetAddr).port);
    try {
      const api = await run("runtime/main.ts", {
        FLORA_API_PORT: port,
        FLORA_EMULATOR_PORT: "0",
        FLORA_SANDBOX_PROCESSES: "1",
      });
      assert.equal(api.code, 1, api.stderr);
      assert.match(api.stderr, new RegExp(`port ${port} is already in use.*set FLORA_API_PORT`));
      assert.doesNotMatch(api.stderr, /os error|stack|at /);

      const emulator = await run("runtime/main.ts", {
        FLORA_API_PORT: "0",
        FLORA_EMULATOR_PORT: port,
        FLORA_SANDBOX_PROCESSES: "1",
      });
      assert.equal(emulator.code, 1, emulator.stderr);
      assert.match(
        emulator.stderr,
        new RegExp(`port ${port} is already in use.*FLORA_EMULATOR_PORT`),
      );

      const alone = await run("emulator/main.ts", {}, [`--port=${port}`]);
      assert.equal(alone.code, 2, alone.stderr);
      assert.match(alone.stderr, new RegExp(`port ${port} is already in use; pass --port=N`));
    } finally {
      taken.close();
    }
  },
});
