import assert from "node:assert/strict";
import { socketPermissionFlags } from "./host_link.ts";

const PROCESS_MAIN = new URL("./process_main.ts", import.meta.url);

Deno.test("a sandbox process whose host vanishes with the link reset exits quietly (code 0)", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/link.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...socketPermissionFlags(path),
        "--unstable-worker-options",
        "--no-prompt",
        PROCESS_MAIN.href,
        `--socket=${path}`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const conn = await listener.accept();
    // Its hello stays unread: closing a Unix socket with unread bytes resets the peer's end
    // (ECONNRESET), as a host killed with -9 does, rather than ending it cleanly.
    await new Promise((resolve) => setTimeout(resolve, 300));
    conn.close();
    const { code, stderr } = await child.output();
    const said = new TextDecoder().decode(stderr);
    assert.doesNotMatch(said, /ConnectionReset|Uncaught/, said);
    assert.equal(code, 0, said);
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});
