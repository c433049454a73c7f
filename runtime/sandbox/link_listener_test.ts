import assert from "node:assert/strict";
import { socketPermissionFlags } from "./host_link.ts";
import { LinkListener, removeStaleLinkDirs } from "./link_listener.ts";
import { NdjsonWriter } from "./ndjson.ts";

/**
 * A child that connects like a sandbox process, echoes each line with
 * `echo: true`, and says goodbye once the host has closed its side.
 */
const ECHO_CHILD = `
import { connectToHost } from ${JSON.stringify(new URL("./host_link.ts", import.meta.url).href)};
import { NdjsonWriter, readNdjson } from ${
  JSON.stringify(new URL("./ndjson.ts", import.meta.url).href)
};
const link = await connectToHost(Deno.args);
const out = new NdjsonWriter(link.output);
for await (const m of readNdjson(link.input)) await out.write({ ...m, echo: true });
await out.write({ bye: true });
await out.close();
`;

Deno.test("a sandbox process's connection reaches whoever spawned it", async () => {
  const listener = await LinkListener.open();
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    assert.equal((await Deno.stat(listener.dir)).mode! & 0o777, 0o700);
    await Deno.writeTextFile(script, ECHO_CHILD);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        ...socketPermissionFlags(listener.path),
        script,
        `--socket=${listener.path}`,
      ],
      stdin: "null",
      stdout: "null",
    }).spawn();
    const { messages, output } = await listener.expect(child.pid);
    const out = new NdjsonWriter(output);
    await out.write({ n: 1 });
    const iterator = messages[Symbol.asyncIterator]();
    assert.deepEqual((await iterator.next()).value, [{ n: 1, echo: true }]);
    // Closing our side still lets the process say what it has left, then the link ends.
    await out.close();
    assert.deepEqual((await iterator.next()).value, [{ bye: true }]);
    assert.equal((await iterator.next()).done, true);
    assert.equal((await child.status).code, 0);
  } finally {
    await listener.close();
    await Deno.remove(script);
  }
});

Deno.test("messages that arrive with the hello are not lost", async () => {
  const listener = await LinkListener.open();
  try {
    const linked = listener.expect(424242);
    const conn = await Deno.connect({ transport: "unix", path: listener.path });
    await conn.write(new TextEncoder().encode('{"pid":424242}\n{"early":1}\n{"early":2}\n'));
    const { messages } = await linked;
    const iterator = messages[Symbol.asyncIterator]();
    assert.deepEqual((await iterator.next()).value, [{ early: 1 }, { early: 2 }]);
    conn.close();
    assert.equal((await iterator.next()).done, true);
  } finally {
    await listener.close();
  }
});

Deno.test("a connection naming a process nobody spawned is closed", async () => {
  const listener = await LinkListener.open();
  try {
    const conn = await Deno.connect({ transport: "unix", path: listener.path });
    await conn.write(new TextEncoder().encode(JSON.stringify({ pid: 1 }) + "\n"));
    assert.equal(await conn.read(new Uint8Array(16)), null);
    conn.close();
  } finally {
    await listener.close();
  }
  await assert.rejects(Deno.stat(listener.dir), Deno.errors.NotFound);
});

Deno.test({
  name: "socket directories left by hosts that are gone are removed; live hosts' are kept",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const temp = await Deno.makeTempDir();
    try {
      // A pid that has just exited stands for a host killed with SIGKILL.
      const gone = new Deno.Command(Deno.execPath(), { args: ["eval", ""] }).spawn();
      await gone.status;
      const stale = `${temp}/flora-sandbox-${gone.pid}-abc123`;
      const live = `${temp}/flora-sandbox-${Deno.pid}-def456`;
      const other = `${temp}/flora-sandbox-notapid`;
      for (const dir of [stale, live, other]) await Deno.mkdir(dir);
      await Deno.writeTextFile(`${stale}/host.sock`, "");
      assert.deepEqual(await removeStaleLinkDirs(temp), [stale]);
      const left = [];
      for await (const entry of Deno.readDir(temp)) left.push(`${temp}/${entry.name}`);
      assert.deepEqual(left.sort(), [live, other].sort());
    } finally {
      await Deno.remove(temp, { recursive: true });
    }
  },
});

Deno.test("a listener's directory is named for its host's pid", async () => {
  const listener = await LinkListener.open();
  try {
    assert.match(listener.dir, new RegExp(`/flora-sandbox-${Deno.pid}-[^/]+$`));
  } finally {
    await listener.close();
  }
});
