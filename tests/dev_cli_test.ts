/**
 * `flora dev` as users run it: the CLI as a subprocess. The REPL is driven
 * through stdin; saving the script redeploys it with its KV data kept; the
 * playground mode serves its page and API.
 */

import assert from "node:assert/strict";
import { main } from "../cli/main.ts";
import type { Output } from "../cli/output.ts";

const ROOT = new URL("../", import.meta.url);

const V1 = `const counter = kv("counter");
createBot({
  prefixCommands: [prefix({ name: "hi", run: async (ctx) => {
    const n = await counter.increment("n");
    await sorted("hits").incr("bob");
    await tasks.schedule("later", { in: "1h" }, n, { key: "later" });
    console.log("hi number " + n);
    await ctx.reply("v1 n=" + n);
  } })],
});
`;
const V2 = V1.replace(`"v1 n="`, `"v2 n="`);
const SYNTAX_ERROR = `createBot({ prefixCommands: [\n`;

/** A running `flora dev` with its output collected. */
interface DevProcess {
  /** Waits until the output contains `text` (after `from`); resolves with the index after it. */
  waitFor(text: string | RegExp, from?: number): Promise<number>;
  write(line: string): Promise<void>;
  output(): string;
  /** Ends stdin, then waits for the exit code. */
  finish(): Promise<number>;
  kill(): Promise<number>;
}

function startDev(args: string[]): DevProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/main.ts", "dev", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const writer = child.stdin.getWriter();
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumps;
    return s.code;
  });
  return {
    async waitFor(wanted, from = 0) {
      const deadline = Date.now() + 30_000;
      while (true) {
        const rest = text.slice(from);
        const match = typeof wanted === "string"
          ? { index: rest.indexOf(wanted), length: wanted.length }
          : (() => {
            const m = wanted.exec(rest);
            return { index: m ? m.index : -1, length: m ? m[0].length : 0 };
          })();
        if (match.index >= 0) return from + match.index + match.length;
        if (exited || Date.now() > deadline) {
          throw new Error(`flora dev never printed ${wanted}; it printed:\n${text}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async write(line) {
      await writer.write(new TextEncoder().encode(line + "\n"));
    },
    output: () => text,
    async finish() {
      await writer.close().catch(() => {});
      return await status;
    },
    async kill() {
      await writer.close().catch(() => {});
      if (!exited) child.kill("SIGTERM");
      return await status;
    },
  };
}

Deno.test({
  name: "flora dev --repl: chat as members, reload on save keeping KV, explain mistakes",
  // The dev process is a child; `finish`/`kill` await its exit and its pipes.
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "flora-dev-cli-" });
    const entry = `${dir}/main.ts`;
    await Deno.writeTextFile(entry, V1);
    const dev = startDev(["--repl", "--temp", "--no-check", entry]);
    try {
      let at = await dev.waitFor("✓ deployed r1");
      await dev.waitFor("acting as bob in #general of Flora Test A");

      await t.step("a message is answered and the script's log is printed", async () => {
        await dev.write("!hi");
        at = await dev.waitFor("Flora [bot]: v1 n=1", at);
        await dev.waitFor(/info\s+hi number 1/);
      });

      await t.step("saving the script redeploys it; KV data stays", async () => {
        await Deno.writeTextFile(entry, V2);
        at = await dev.waitFor("✓ deployed r2", at);
        await dev.write("!hi");
        at = await dev.waitFor("Flora [bot]: v2 n=2", at);
      });

      await t.step("a broken save is reported; the running version keeps answering", async () => {
        await Deno.writeTextFile(entry, SYNTAX_ERROR);
        at = await dev.waitFor("✗ deploy failed (the previous version keeps running)", at);
        await dev.waitFor(/main\.ts:\d+:\d+/, at);
        await dev.write("!hi");
        at = await dev.waitFor("Flora [bot]: v2 n=3", at);
      });

      await t.step("members and channels switch; mistakes are explained", async () => {
        await dev.write(".as alice");
        at = await dev.waitFor("acting as alice", at);
        await dev.write(".in bot-commands");
        at = await dev.waitFor("in #bot-commands", at);
        await dev.write("!hi");
        at = await dev.waitFor("Flora [bot]: v2 n=4", at);
        await dev.write(".as carol");
        at = await dev.waitFor('error: no member "carol"', at);
        await dev.write("/nope");
        at = await dev.waitFor("error: unknown command /nope (commands: none registered yet)", at);
        await dev.write(".click Yes");
        at = await dev.waitFor('error: no bot message in #bot-commands has a component "Yes"', at);
        await dev.write(".react 👍");
        at = await dev.waitFor("reacted 👍 to Flora's message", at);
        await dev.write(".user bob Inspect");
        at = await dev.waitFor('error: no user command "Inspect" (registered: none)', at);
        await dev.write(".kv");
        at = await dev.waitFor("counter:\n  n = 4", at);
        await dev.write(".top hits");
        at = await dev.waitFor("1. bob 4", at);
        await dev.write(".tasks");
        at = await dev.waitFor(/Z later \[later\] 4 \(id \w+\)/, at);
      });

      await t.step(".exit stops it cleanly", async () => {
        await dev.write(".exit");
        assert.equal(await dev.finish(), 0);
        assert.match(dev.output(), /flora dev: stopping…/);
      });
    } finally {
      await dev.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "flora dev serves the playground page and its API",
  sanitizeResources: false,
  async fn() {
    const dev = startDev(["--temp", "--no-check", "--port", "0", "dev/examples/garden_bot.ts"]);
    try {
      await dev.waitFor("✓ deployed r1");
      const url = /playground: (http:\/\/\S+)/.exec(dev.output())?.[1];
      assert.ok(url, dev.output());
      const page = await fetch(url).then((r) => r.text());
      assert.match(page, /<title>flora playground<\/title>/);
      assert.match(page, /<script type="module" src="\/app.js">/);
      const app = await fetch(`${url}/app.js`);
      assert.equal(app.headers.get("content-type"), "text/javascript");
      assert.ok((await app.text()).length > 1000);
      const world = await fetch(`${url}/api/world`).then((r) => r.json());
      assert.deepEqual(world.channels.map((c: { name: string }) => c.name), [
        "general",
        "bot-commands",
      ]);
      assert.deepEqual(world.commands.map((c: { name: string }) => c.name), ["poll", "plant"]);
      // The Apps menus: a user command runs on a member and the script answers it.
      const menus = world.contextMenus as { id: string; name: string; type: number }[];
      assert.deepEqual(menus.map((c) => [c.name, c.type]), [["Gardener card", 2], [
        "Press flower",
        3,
      ]]);
      const bob = world.members.find((m: { name: string }) => m.name === "Bob");
      const run = await fetch(`${url}/api/context-menu`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          channelId: world.channels[0].id,
          userId: bob.id,
          commandId: menus[0].id,
          targetId: bob.id,
        }),
      });
      assert.equal(run.status, 201);
      assert.ok((await run.json()).interactionId);
      const refused = await fetch(`${url}/api/messages`, { method: "POST", body: "nope" });
      assert.equal(refused.status, 400);
      assert.deepEqual(await refused.json(), { error: "the body must be a JSON object" });
      // A second dev on the same port is told what to do, and leaves nothing running.
      const errors: string[] = [];
      const silent: Output = {
        info: () => {},
        progress: () => {},
        error: (text) => errors.push(text),
        json: () => {},
      };
      const port = new URL(url).port;
      const code = await main(
        ["dev", "--temp", "--no-check", "--port", port, "dev/examples/garden_bot.ts"],
        silent,
      );
      assert.equal(code, 2);
      assert.match(errors.join("\n"), new RegExp(`port ${port} is in use: pass --port <n>`));
      assert.equal(await dev.kill(), 0);
    } finally {
      await dev.kill();
    }
  },
});

Deno.test("flora dev explains bad usage", async () => {
  // In-process: usage is checked before anything starts.
  const run = async (args: string[]) => {
    const errors: string[] = [];
    const out: Output = {
      info: () => {},
      progress: () => {},
      error: (text) => errors.push(text),
      json: () => {},
    };
    return { code: await main(["dev", ...args], out), stderr: errors.join("\n") };
  };
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /give exactly one script, e.g. flora dev src\/main.ts/);
  const missing = await run(["nowhere.ts"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nowhere\.ts does not exist/);
  const port = await run(["--port", "http", "dev/examples/garden_bot.ts"]);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port must be a whole number/);
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
});
