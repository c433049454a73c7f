/**
 * Hostile scripts trying to leave their sandbox or reach another guild:
 * files, env, processes, FFI, private network addresses, remote code, fork
 * bombs, forged protocol messages, SDK tampering, cross-guild messages and
 * KV. Each attack must fail, and the neighbouring guilds keep answering.
 *
 * One flora serves every attack (starting one costs seconds): the hostile
 * script offers each attack as a prefix command that reports, per vector,
 * `blocked …` or `ESCAPED …`.
 */

import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../../runtime/sandbox/protocol/mod.ts";
import { type Arena, assertAllBlocked, ATTEMPTS, HEALTHY, openArena } from "./arena.ts";

const HOSTILE = `
${ATTEMPTS}
const attacks = {
  files: () => ({
    "Deno.readTextFile": () => Deno.readTextFile("/etc/passwd"),
    "node:fs": async () => (await import("node:fs")).readFileSync("/etc/passwd", "utf8"),
    "fetch file:": async () => (await fetch("file:///etc/passwd")).text(),
    "import file:": () => import("file:///etc/passwd"),
    // The watchdog's CPU figures need nothing from /proc: it stays closed to scripts.
    "read /proc": async () => (await import("node:fs")).readFileSync("/proc/self/stat", "utf8"),
    "list /proc": async () => (await import("node:fs")).readdirSync("/proc/self/task").join(),
  }),
  env: () => ({
    "Deno.env": () => JSON.stringify(Deno.env.toObject()),
    "node:process": async () => JSON.stringify((await import("node:process")).default.env),
  }),
  spawn: () => ({
    "Deno.Command": () => new Deno.Command("id").output(),
    "node:child_process": async () => (await import("node:child_process")).execSync("id"),
  }),
  ffi: () => ({
    "Deno.dlopen": () => Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } }),
    "process.dlopen": async () => (await import("node:process")).default.dlopen({}, "libc.so.6"),
  }),
  net: (args) => ({
    "fetch host API": async () => (await fetch(args[0])).status,
    "fetch metadata": async () => (await fetch("http://169.254.169.254/latest/meta-data/")).status,
    "fetch private": async () => (await fetch("http://10.0.0.1/")).status,
    "fetch localhost name": async () => (await fetch(args[0].replace("127.0.0.1", "localhost"))).status,
    "Deno.connect": () => Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(args[0]).port) }),
    "WebSocket": () => new Promise((resolve, reject) => {
      const ws = new WebSocket("ws://127.0.0.1:" + new URL(args[0]).port);
      ws.onopen = () => resolve("open");
      ws.onerror = () => reject(new Error("websocket refused"));
    }),
  }),
  imports: () => ({
    "https": () => import("https://deno.land/std@0.224.0/version.ts"),
    "npm": () => import("npm:left-pad@1.3.0"),
    "jsr": () => import("jsr:@std/path@1"),
    "host source": () => import("file:///" + "work/main/runtime/flora.ts"),
  }),
  fork: () => ({
    "new Worker": () => new Worker("data:text/javascript,while(true){}", { type: "module" }),
    "self.Worker": () => new self.Worker("data:text/javascript,1", { type: "module" }),
  }),
  forge: () => ({
    "postMessage call": () => postMessage({ v: 3, type: "call", callId: 1, op: "message.send", args: {} }),
    "self.postMessage done": () => self.postMessage({ v: 3, type: "done", events: [{ id: 1 }] }),
    "hijack onmessage": () => { globalThis.onmessage = () => {}; return "replaced"; },
    "close worker": () => close(),
  }),
  tamper: () => ({
    "redefine createBot": () => { Object.defineProperty(globalThis, "createBot", { value: () => {} }); return "redefined"; },
    "assign prefix": () => { globalThis.prefix = null; return typeof prefix; },
    "mutate SDK function": () => { createBot.hacked = true; return createBot.hacked; },
    "mutate kv": () => { kv.call = () => "hacked"; return String(kv.call()); },
    "replace Deno.inspect": () => { Deno.inspect = () => "hacked"; return Deno.inspect(1); },
  }),
  send: (args) => ({
    "send to other guild": () => discord.sendMessage(args[0], "pwned"),
  }),
  kv: () => ({
    "read other guild's key": async () => {
      const value = await kv("vault").get("secret");
      if (value === undefined) throw new Error("not found (own guild's store is empty)");
      return value;
    },
    "path traversal store": () => kv("../vault").get("secret"),
  }),
};
createBot({
  prefixCommands: Object.entries(attacks).map(([name, vectors]) =>
    prefix({ name, run: (ctx) => report(ctx, vectors(ctx.args ?? [])) })
  ),
});
on("messageCreate", async (message) => {
  if (message.content !== "!pollute") return;
  // Prototype pollution aimed at the SDK's messages: must not redirect the reply.
  Object.prototype.channelId = "${"0".repeat(18)}";
  Object.prototype.guildId = "${"0".repeat(18)}";
  Array.prototype.map = function () { return []; };
  JSON.stringify = () => "{}";
  try {
    await discord.sendMessage(message.channel_id, "polluted reply");
  } finally {
    delete Object.prototype.channelId;
    delete Object.prototype.guildId;
  }
});
`;

Deno.test({
  name: "hostile scripts cannot escape their sandbox or reach another guild",
  // The host runs in this process with child sandbox processes, sockets and timers.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const arena: Arena = await openArena();
    // A step is a few replies in one channel: at Discord's 5 per 5 s (emulated) some steps
    // waited out the window (5 s each). The sandbox is under test, not Discord's limits.
    await arena.emu.setRateLimits({ enabled: false });
    try {
      const [hostile, neighbour, remote] = arena.guilds;
      for (const g of [neighbour, remote]) {
        assert.equal((await arena.deploy(g, HEALTHY)).status, "active");
      }
      const deployed = await arena.deploy(hostile, HOSTILE);
      assert.equal(deployed.status, "active", JSON.stringify(deployed));
      assert.equal(await arena.ask(neighbour, "!store"), "stored");

      const attack = async (command: string, vectors: number) => {
        assertAllBlocked(await arena.ask(hostile, command), vectors);
        await arena.assertNeighboursAnswer();
      };

      await t.step("read files", () => attack("!files", 6));
      await t.step("read the environment", () => attack("!env", 2));
      await t.step("spawn processes", () => attack("!spawn", 2));
      await t.step("load native code (FFI)", () => attack("!ffi", 2));
      await t.step("reach loopback, private and metadata addresses", async () => {
        await attack(`!net ${arena.flora.apiUrl}/health`, 6);
      });
      await t.step("import remote code or host files", () => attack("!imports", 4));
      await t.step("fork-bomb workers", () => attack("!fork", 2));
      await t.step("forge protocol messages", async () => {
        await attack("!forge", 4);
        // Messages that reach the host anyway are validated there and logged, not obeyed.
        const key = {
          guildId: hostile.id,
          deploymentId: arena.flora.sandboxes.activeDeployment(hostile.id)!.id,
        };
        arena.flora.sandboxes.workerMessage(key, {
          v: PROTOCOL_VERSION,
          type: "call",
          op: "guild.nuke",
        });
        arena.flora.sandboxes.workerMessage(key, "not even an object");
        await arena.waitForLog(hostile, /rejected a malformed message/);
        await arena.assertAnswers(neighbour);
      });
      await t.step("tamper with the SDK", async () => {
        await attack("!tamper", 5);
        const reply = await arena.ask(hostile, "!pollute");
        assert.equal(reply, "polluted reply");
        await arena.assertAnswers(neighbour);
      });
      await t.step("send to another guild's channel", async () => {
        const before = (await arena.emu.messages(neighbour.channelId)).length;
        await attack(`!send ${neighbour.channelId}`, 1);
        const after = await arena.emu.messages(neighbour.channelId);
        assert.equal(after.filter((m) => m.content === "pwned").length, 0);
        assert.ok(after.length >= before);
      });
      await t.step("read another guild's KV", () => attack("!kv", 2));
      await t.step("secrets are write-only through the API", async () => {
        const headers = {
          authorization: `Bearer ${arena.token}`,
          "content-type": "application/json",
        };
        const base = `${arena.flora.apiUrl}/secrets/${neighbour.id}`;
        const put = await fetch(`${base}/WEATHER_KEY`, {
          method: "PUT",
          headers,
          body: JSON.stringify({ value: "s3cr3t-value" }),
        });
        assert.equal(put.status, 200, await put.clone().text());
        assert.ok(!(await put.text()).includes("s3cr3t-value"));
        const list = await fetch(base, { headers });
        const listed = await list.text();
        assert.match(listed, /WEATHER_KEY/);
        assert.ok(!listed.includes("s3cr3t-value"));
        const read = await fetch(`${base}/WEATHER_KEY`, { headers });
        assert.notEqual(read.status, 200);
        await read.body?.cancel();
        const bad = await fetch(`${base}/1nvalid-name`, {
          method: "PUT",
          headers,
          body: JSON.stringify({ value: "x" }),
        });
        assert.equal(bad.status, 400);
        assert.match(await bad.text(), /not starting with a digit/);
        const del = await fetch(`${base}/WEATHER_KEY`, { method: "DELETE", headers });
        assert.deepEqual(await del.json(), { deleted: true });
      });
    } finally {
      await arena.close();
    }
  },
});
