/**
 * Two guilds' workers in one sandbox process share nothing: no web API that
 * keeps state outside the worker (channels, caches, storage, locks), no
 * `node:` built-in or `process` (which froze or killed the whole process),
 * no nested worker, no code built from strings to get around that. Each
 * attack must fail, and the neighbours keep answering from the same
 * process, which keeps running.
 */

import assert from "node:assert/strict";
import { type Arena, assertAllBlocked, ATTEMPTS, HEALTHY, openArena } from "./arena.ts";

const MARK = "flora-cross-guild-marker";

/** Deployed to two guilds of one process: plants markers, looks for the other's, tries to escape. */
const PROBE = `
const heard = [];
try { new BroadcastChannel("flora").onmessage = (e) => heard.push(String(e.data)); } catch {}
${ATTEMPTS}
const plant = {
  "BroadcastChannel": () => { new BroadcastChannel("flora").postMessage("${MARK}"); return "posted"; },
  "caches": async () => { await (await caches.open("flora")).put("https://x.test/m", new Response("${MARK}")); return "stored"; },
  "navigator.locks": () => { navigator.locks.request("flora", () => new Promise(() => {})); return "held"; },
  "localStorage": () => { localStorage.setItem("flora", "${MARK}"); return "stored"; },
  "sessionStorage": () => { sessionStorage.setItem("flora", "${MARK}"); return "stored"; },
};
const harvest = async () => {
  const found = [...heard];
  try { const r = await (await caches.open("flora")).match("https://x.test/m"); if (r) found.push("caches"); } catch {}
  try { if (localStorage.getItem("flora")) found.push("localStorage"); } catch {}
  try { if ((await navigator.locks.query()).held.length) found.push("locks"); } catch {}
  return found.length ? found.join(",") : "none";
};
const escape = {
  "process global": () => process.pid,
  "process.kill SIGSTOP": () => process.kill(process.pid, "SIGSTOP"),
  "process.argv": () => globalThis.process.argv.join(" "),
  "import node:process": async () => (await import("node:process")).default.kill(0, "SIGSTOP"),
  "import node:worker_threads": async () => {
    const { Worker } = await import("node:worker_threads");
    new Worker("while (true) {}", { eval: true });
    return "nested worker started";
  },
  "import node:child_process": async () => (await import("node:child_process")).execSync("id"),
  "computed specifier": async () => { const m = ["node", "os"].join(":"); return (await import(m)).hostname(); },
  "eval import": () => eval('import("node:fs")'),
  "new Function import": () => new Function('return import("node:fs")')(),
  "AsyncFunction import": () => (async () => {}).constructor('return await import("node:fs")')(),
  "new Worker": () => new Worker("data:text/javascript,1", { type: "module" }),
  "Deno.cwd": () => Deno.cwd(),
  "location": () => location.href,
  "SharedArrayBuffer": () => new SharedArrayBuffer(8).byteLength,
  "Buffer": () => Buffer.from("x").length,
};
createBot({ prefixCommands: [
  prefix({ name: "ping", run: (ctx) => ctx.reply("pong") }),
  prefix({ name: "plant", run: (ctx) => report(ctx, plant) }),
  prefix({ name: "harvest", run: async (ctx) => ctx.reply("found: " + await harvest()) }),
  prefix({ name: "escape", run: (ctx) => report(ctx, escape) }),
] });
`;

Deno.test({
  name: "guilds sharing a sandbox process share no state and get no node: built-ins",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const arena: Arena = await openArena();
    try {
      const [attacker, neighbour, remote] = arena.guilds;
      assert.equal(attacker.process, neighbour.process);
      for (const g of [attacker, neighbour]) {
        const deployed = await arena.deploy(g, PROBE);
        assert.equal(deployed.status, "active", JSON.stringify(deployed));
      }
      assert.equal((await arena.deploy(remote, HEALTHY)).status, "active");
      const pid = arena.flora.pool.pids()[attacker.process];

      await t.step("channels, caches, storage and locks cannot carry data across", async () => {
        assertAllBlocked(await arena.ask(attacker, "!plant"), 5);
        assert.equal(await arena.ask(neighbour, "!harvest"), "found: none");
        assertAllBlocked(await arena.ask(neighbour, "!plant"), 5);
        assert.equal(await arena.ask(attacker, "!harvest"), "found: none");
      });

      await t.step("process, node: built-ins, nested workers and eval are refused", async () => {
        const reply = await arena.ask(attacker, "!escape");
        assertAllBlocked(reply, 15);
        assert.match(
          reply,
          /import\("node:worker_threads"\) was refused\. flora scripts run as one bundle/,
        );
        assert.match(reply, /eval import: Code generation from strings disallowed/);
        await arena.assertNeighboursAnswer();
        assert.equal(
          arena.flora.pool.pids()[attacker.process],
          pid,
          "the sandbox process survived",
        );
      });

      await t.step(
        "a static node: import is refused at deploy with a readable reason",
        async () => {
          const before = await arena.current(attacker);
          const refused = await arena.deploy(
            attacker,
            `import process from "node:process";\nprocess.kill(process.pid, "SIGKILL");\n`,
          ) as unknown as { error?: { code: string; message: string } };
          assert.equal(refused.error?.code, "script_imports", JSON.stringify(refused));
          assert.match(refused.error!.message, /imports "node:process" \(line 1\)/);
          assert.deepEqual(await arena.current(attacker), before);
          await arena.assertNeighboursAnswer();
          assert.equal(arena.flora.pool.pids()[attacker.process], pid);
        },
      );
    } finally {
      await arena.close();
    }
  },
});
