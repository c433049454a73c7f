/**
 * The worker's global scope is built from an allowlist: a live guild worker
 * (the real runtime bundle, as a sandbox process starts it) enumerates
 * every global it can see, own and inherited, symbols included, and the
 * test fails on any name the allowlist does not hold.
 */

import assert from "node:assert/strict";
import {
  ALLOWED_GLOBAL_SYMBOLS,
  ALLOWED_GLOBALS,
  ALLOWED_INHERITED,
} from "../../runtime/sandbox/global_allowlist.ts";
import { PROTOCOL_VERSION } from "../../runtime/sandbox/protocol/mod.ts";
import { bundleWorkerRuntime } from "../../runtime/sandbox/worker_bundle.ts";
import { globals } from "../../sdk/globals.ts";

/** Reports every key of the global scope and its prototypes as one JSON log line. */
const ENUMERATE = `
const levels = [];
for (let o = globalThis; o; o = Object.getPrototypeOf(o)) {
  levels.push(Reflect.ownKeys(o).map((k) => typeof k === "symbol" ? String(k) : k));
}
console.log(JSON.stringify(levels));
`;

/** Runs a script in a fresh guild worker; resolves with its first log line. */
async function firstLogLine(code: string): Promise<string> {
  const runtime = await bundleWorkerRuntime();
  const url = URL.createObjectURL(new Blob([runtime], { type: "application/javascript" }));
  const worker = new Worker(url, { type: "module", deno: { permissions: "none" } });
  try {
    return await new Promise<string>((resolve, reject) => {
      worker.onmessage = (event) => {
        const m = event.data;
        if (m?.type === "log") resolve(m.message);
        if (m?.type === "loadFailed") reject(new Error(m.error));
      };
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(event.message));
      };
      worker.postMessage({
        v: PROTOCOL_VERSION,
        type: "load",
        guildId: "1",
        deploymentId: "d",
        entry: "globals.js",
        code,
      });
    });
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
}

Deno.test("a guild worker's global scope holds only allowlisted names", async () => {
  const [own, ...inherited] = JSON.parse(await firstLogLine(ENUMERATE)) as string[][];
  const sdk = new Set(Object.keys(globals));
  const unlisted = own.filter((name) =>
    name.startsWith("Symbol(") ? !ALLOWED_GLOBAL_SYMBOLS.has(name) : !ALLOWED_GLOBALS.has(name) &&
      !sdk.has(name)
  );
  assert.deepEqual(unlisted, [], `globals not on the allowlist: ${unlisted.join(", ")}`);
  const unlistedInherited = inherited.flat().filter((name) => !ALLOWED_INHERITED.has(name));
  assert.deepEqual(unlistedInherited, [], `inherited: ${unlistedInherited.join(", ")}`);
  // The SDK is there, and the state shared between workers is not.
  for (const name of ["createBot", "kv", "fetch", "console", "URL"]) assert.ok(own.includes(name));
  for (const name of ["BroadcastChannel", "caches", "navigator", "process", "Buffer"]) {
    assert.ok(!own.includes(name), name);
  }
});

Deno.test("a guild worker's clocks tick in whole milliseconds", async () => {
  const line = await firstLogLine(`
    const samples = [];
    for (let i = 0; i < 2000; i++) samples.push(performance.now());
    const ns = Temporal.Now.instant().epochNanoseconds;
    console.log(JSON.stringify({ fractional: samples.filter((t) => t % 1 !== 0).length, subMs: String(ns % 1000000n) }));
  `);
  assert.deepEqual(JSON.parse(line), { fractional: 0, subMs: "0" });
});
