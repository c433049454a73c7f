import assert from "node:assert/strict";
import { blameProcessExit, unresolvedSuspects } from "./exit_blame.ts";

const a = { guildId: "100000000000000001", deploymentId: "a" };
const b = { guildId: "100000000000000002", deploymentId: "b" };
const c = { guildId: "100000000000000003", deploymentId: "c" };
const id = (k: typeof a) => `${k.guildId}:${k.deploymentId}`;

Deno.test("blameProcessExit blames the one silent worker and spares its neighbours", () => {
  const out = blameProcessExit([a, b, c], new Set([id(b)]), "sandbox process 0 exited");
  assert.deepEqual(out.map((l) => l.reason), ["process", "abort", "process"]);
  assert.match(out[1].detail, /while this script was not responding/);
  assert.equal(out[0].detail, "sandbox process 0 exited");
});

Deno.test("blameProcessExit blames nobody when several workers were silent", () => {
  const out = blameProcessExit([a, b, c], new Set([id(a), id(b)]), "sandbox process 0 exited");
  assert.deepEqual(out.map((l) => l.reason), ["process", "process", "process"]);
  assert.match(out[0].detail, /2 scripts had stopped responding, so no one is blamed/);
});

Deno.test("blameProcessExit blames nobody when no worker was silent", () => {
  const out = blameProcessExit([a], new Set(), "sandbox process 0 was killed by SIGKILL");
  assert.deepEqual(out, [{
    key: a,
    reason: "process",
    detail: "sandbox process 0 was killed by SIGKILL",
  }]);
});

Deno.test("blameProcessExit blames one guild whose two workers were silent", () => {
  const a2 = { guildId: a.guildId, deploymentId: "a2" };
  const out = blameProcessExit([a, a2, b], new Set([id(a), id(a2)]), "sandbox process 0 exited");
  assert.deepEqual(out.map((l) => l.reason), ["abort", "abort", "process"]);
  assert.deepEqual(unresolvedSuspects([a, a2, b], new Set([id(a), id(a2)])), []);
});

Deno.test("unresolvedSuspects names the silent guilds only when there are several", () => {
  assert.deepEqual(unresolvedSuspects([a, b, c], new Set([id(a), id(c)])), [a.guildId, c.guildId]);
  assert.deepEqual(unresolvedSuspects([a, b, c], new Set([id(b)])), []);
  assert.deepEqual(unresolvedSuspects([a, b], new Set()), []);
});

Deno.test("blameProcessExit blames the lone guild of an isolated process, silent or not", () => {
  const out = blameProcessExit([a], new Set(), "quarantine process for guild 1 exited", true);
  assert.equal(out[0].reason, "abort");
  assert.match(out[0].detail, /ran alone in it/);
});
