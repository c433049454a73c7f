/**
 * The CLI as users run it: a subprocess against a running flora (host
 * process + built-in emulator). Logs in through the browser flow (this test
 * plays the browser on the emulator's Discord OAuth2 pages), then drives
 * every command, checking output, `--json` and exit codes.
 */

import assert from "node:assert/strict";
import { EmulatorClient } from "../emulator/mod.ts";
import { browserLogin } from "./helpers/api_flora.ts";
import { runCli, startFloraProcess, writeScript } from "./helpers/flora_process.ts";

const ROOT = new URL("../", import.meta.url);

const GREETER = `
createBot({ prefixCommands: [prefix({ name: "hi", run: (ctx) => ctx.reply("hello") })] });
console.log("greeter ready");
`;
const GREETER_V2 = `
createBot({ prefixCommands: [prefix({ name: "hi", run: (ctx) => ctx.reply("hello again") })] });
console.warn("greeter v2 ready");
`;

/** Starts a long-running CLI command; resolves output as it arrives. */
function spawnCli(args: string[], env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/main.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  let stderr = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) add(chunk);
  };
  const pumps = Promise.all([
    pump(child.stdout, (t) => stdout += t),
    pump(child.stderr, (t) => stderr += t),
  ]);
  return {
    child,
    output: () => ({ stdout, stderr }),
    async waitFor(predicate: () => boolean, what: string) {
      for (let i = 0; i < 400; i++) {
        if (predicate()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}:\n${stdout}\n${stderr}`);
    },
    async done() {
      const status = await child.status;
      await pumps;
      return { code: status.code, stdout, stderr };
    },
  };
}

Deno.test({
  name: "the CLI: browser login, then every command against a running flora",
  // The host runs as a child process; its pipes stay open until stop().
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const flora = await startFloraProcess();
    const work = await Deno.makeTempDir({ prefix: "flora-cli-test-" });
    try {
      const world = await new EmulatorClient(flora.info.emulatorUrl!).world();
      const [guild, other] = world.guilds;
      const alice = guild.ownerId;
      const bob = guild.members.find((m) => !m.bot && m.userId !== alice)!.userId;
      const config = `${work}/config.json`;
      const env = { FLORA_CONFIG: config, FLORA_DATA_DIR: "" };
      const cli = (args: string[], extra: Record<string, string> = {}) =>
        runCli(args, { ...env, ...extra });

      await t.step("without a token: exit 5 and how to log in", async () => {
        const run = await cli(["whoami", "--api", flora.info.apiUrl]);
        assert.equal(run.code, 5, run.stderr);
        assert.match(run.stderr, /flora login/);
      });

      await t.step("flora login: loopback server, Discord OAuth2, token saved", async () => {
        const login = spawnCli(
          ["login", "--api", flora.info.apiUrl, "--no-browser", "--guild", guild.id],
          env,
        );
        await login.waitFor(() => /\/auth\/login\?\S+/.test(login.output().stderr), "the URL");
        const url = /(http:\/\/\S+\/auth\/login\?\S+)/.exec(login.output().stderr)![1];
        const loopback = await browserLogin(url, alice);
        assert.equal(loopback.hostname, "127.0.0.1");
        const page = await fetch(loopback);
        assert.match(await page.text(), /Logged in/);
        const result = await login.done();
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, new RegExp(`as alice \\(${alice}\\)`));
        const saved = JSON.parse(await Deno.readTextFile(config));
        assert.equal(saved.apiUrl, flora.info.apiUrl);
        assert.match(saved.token, /^flora_/);
        assert.equal(saved.guild, guild.id);
        assert.equal((await Deno.stat(config)).mode! & 0o777, 0o600);
      });

      await t.step("whoami and list, as text and --json", async () => {
        const who = await cli(["whoami", "--json"]);
        assert.equal(who.code, 0, who.stderr);
        assert.equal(JSON.parse(who.stdout).user.id, alice);
        const list = await cli(["list"]);
        assert.equal(list.code, 0, list.stderr);
        assert.match(list.stdout, /GUILD\s+NAME\s+LIVE/);
        assert.match(list.stdout, new RegExp(`${guild.id}\\s+${guild.name}\\s+-`));
        const json = JSON.parse((await cli(["list", "--json"])).stdout);
        assert.deepEqual(json.map((g: { id: string }) => g.id).sort(), [guild.id, other.id].sort());
      });

      await t.step(
        "deploy (default guild from the config), status, history, rollback",
        async () => {
          const v1 = await writeScript(work, "greeter.ts", GREETER);
          // Type-checking is covered by e2e_deploy_test; skipping it keeps this test fast.
          const one = await cli(["deploy", "--no-check", v1]);
          assert.equal(one.code, 0, one.stderr);
          assert.match(one.stdout, /revision 1 \(\w+\) is live/);
          const v2 = await writeScript(work, "greeter2.ts", GREETER_V2);
          const two = await cli(["deploy", "--no-check", "--allow-fetch", "api.example.com", v2]);
          assert.equal(two.code, 0, two.stderr);
          assert.match(two.stdout, /It may fetch from: api\.example\.com\./);
          const status = await cli(["status", "--json"]);
          assert.equal(JSON.parse(status.stdout).revision, 2);
          assert.deepEqual(JSON.parse(status.stdout).fetchHosts, ["api.example.com"]);
          const history = await cli(["history", "-n", "5"]);
          assert.match(history.stdout, /REV\s+STATUS\s+WHEN \(UTC\)\s+BY/);
          assert.match(
            history.stdout,
            new RegExp(`2\\s+active\\s+\\S+ \\S+\\s+alice \\(${alice}\\)`),
          );
          assert.match(history.stdout, /1\s+superseded/);
          const back = await cli(["rollback", "1"]);
          assert.equal(back.code, 0, back.stderr);
          assert.match(back.stdout, /revision 3 \(\w+\) is live/);
          const missing = await cli(["rollback", "42"]);
          assert.equal(missing.code, 6, missing.stderr);
          assert.match(missing.stderr, /no revision 42/);
          const noRev = await cli(["rollback"]);
          assert.equal(noRev.code, 2);
        },
      );

      await t.step("logs: recent lines with levels, -f follows live", async () => {
        const recent = await cli(["logs", "-n", "20"]);
        assert.equal(recent.code, 0, recent.stderr);
        assert.match(recent.stdout, /^\d\d:\d\d:\d\d\.\d{3} info {2}greeter ready$/m);
        assert.match(recent.stdout, /warn {2}greeter v2 ready/);
        const warnings = await cli(["logs", "--level", "warn", "--json"]);
        const lines = warnings.stdout.trim().split("\n").map((l) => JSON.parse(l));
        assert.ok(lines.length > 0 && lines.every((l) => l.level !== "info"));

        const follow = spawnCli(["logs", "-f", "-n", "1"], env);
        await follow.waitFor(() => follow.output().stdout.length > 0, "the first line");
        const v2 = `${work}/greeter2.ts`;
        assert.equal((await cli(["deploy", "--no-check", v2])).code, 0);
        await follow.waitFor(
          () => /greeter v2 ready[\s\S]*revision|r4/.test(follow.output().stdout),
          "live lines",
        );
        follow.child.kill("SIGINT");
        const ended = await follow.done();
        assert.equal(ended.code, 0, ended.stderr);
      });

      await t.step("kv set/get/list/export/import/delete", async () => {
        assert.equal((await cli(["kv", "set", "--store", "prefs", "color", '"green"'])).code, 0);
        assert.equal(
          (await cli(["kv", "set", "--store", "prefs", "size", "42", "--ttl", "3600"])).code,
          0,
        );
        assert.equal(
          (await cli(["kv", "set", "--store", "prefs", "note", "hi there", "--string"])).code,
          0,
        );
        const notJson = await cli(["kv", "set", "--store", "prefs", "x", "not json"]);
        assert.equal(notJson.code, 2);
        assert.match(notJson.stderr, /must be JSON.*--string/);
        const get = await cli(["kv", "get", "--store", "prefs", "size"]);
        assert.equal(get.stdout.trim(), "42");
        const stores = await cli(["kv", "list", "--json"]);
        assert.ok(JSON.parse(stores.stdout).includes("prefs"));
        // The scripts deployed here declare no cron jobs: no runtime store shows up beside theirs.
        assert.ok(!JSON.parse(stores.stdout).includes("flora.cron"), stores.stdout);
        const keys = await cli(["kv", "list", "--store", "prefs"]);
        assert.match(keys.stdout, /KEY\s+VALUE\ncolor\s+"green"\nnote\s+"hi there"\nsize\s+42/);
        const exported = `${work}/prefs.jsonl`;
        assert.equal((await cli(["kv", "export", "--store", "prefs", "--out", exported])).code, 0);
        const imported = await cli(["kv", "import", "--store", "copy", exported, "--json"]);
        assert.deepEqual(JSON.parse(imported.stdout), { imported: 3, skipped: 0 });
        const del = await cli(["kv", "delete", "--store", "copy", "color"]);
        assert.match(del.stdout, /Deleted copy\/color/);
        const gone = await cli(["kv", "get", "--store", "copy", "color"]);
        assert.equal(gone.code, 6);
        const delMissing = await cli(["kv", "delete", "--store", "copy", "color"]);
        assert.equal(delMissing.code, 6, "docs/cli.md: 6 is not found");
        assert.match(delMissing.stderr, /copy\/color does not exist/);
        await Deno.writeTextFile(`${work}/one.jsonl`, '{"key":"a","value":1}\n');
        const one = await cli(["kv", "import", "--store", "copy", `${work}/one.jsonl`]);
        assert.match(one.stdout, /^Imported 1 key into copy\.$/m);
        await Deno.writeTextFile(`${work}/bad.jsonl`, '{"key":"a","value":1}\n{"value":2}\n');
        const bad = await cli(["kv", "import", "--store", "copy", `${work}/bad.jsonl`]);
        assert.equal(bad.code, 3);
        assert.match(bad.stderr, /line 2: key/);
      });

      await t.step("another user is refused; usage errors say what to fix", async () => {
        const login = spawnCli(["login", "--api", flora.info.apiUrl, "--no-browser"], {
          FLORA_CONFIG: `${work}/bob.json`,
        });
        await login.waitFor(() => /\/auth\/login\?\S+/.test(login.output().stderr), "the URL");
        const url = /(http:\/\/\S+\/auth\/login\?\S+)/.exec(login.output().stderr)![1];
        await (await fetch(await browserLogin(url, bob))).body?.cancel();
        assert.equal((await login.done()).code, 0);
        const refused = await runCli(["status", "--guild", guild.id], {
          FLORA_CONFIG: `${work}/bob.json`,
        });
        assert.equal(refused.code, 5, refused.stderr);
        assert.match(refused.stderr, /Manage Server/);
        const badGuild = await cli(["status", "--guild", "nope"]);
        assert.equal(badGuild.code, 2);
        assert.match(badGuild.stderr, /not a Discord id/);
        const commands = [
          "login",
          "whoami",
          "init",
          "list",
          "status",
          "history",
          "rollback",
          "logs",
          "kv",
          "secrets",
          "deploy",
          "tokens",
        ];
        const helps = await Promise.all(commands.map((c) => cli([c, "--help"])));
        helps.forEach((help, i) => {
          assert.equal(help.code, 0, commands[i]);
          assert.match(help.stdout, new RegExp(`Usage: flora ${commands[i]}`));
          assert.match(help.stdout, /Exit codes/);
        });
      });

      await t.step("secrets: set from a file or --value, list names only, delete", async () => {
        await Deno.writeTextFile(`${work}/key.txt`, "sk-very-secret\n");
        const set = await cli(["secrets", "set", "API_KEY", "--file", `${work}/key.txt`]);
        assert.equal(set.code, 0, set.stderr);
        assert.match(set.stdout, /Secret API_KEY set/);
        const other = await cli([
          "secrets",
          "set",
          "OTHER",
          "--value",
          "x",
          "--allow-host",
          "API.example.com,*.example.org",
          "--allow-host",
          "ci.example.net:8443",
        ]);
        assert.equal(other.code, 0, other.stderr);
        assert.match(other.stdout, /may send it to api\.example\.com, \*\.example\.org/);
        const badHost = await cli([
          "secrets",
          "set",
          "X",
          "--value",
          "x",
          "--allow-host",
          "https://a",
        ]);
        assert.equal(badHost.code, 2);
        assert.match(badHost.stderr, /--allow-host: host "https:\/\/a" is invalid/);
        const list = await cli(["secrets", "list"]);
        assert.match(
          list.stdout,
          /NAME\s+ALLOWED HOSTS\s+UPDATED \(UTC\)\nAPI_KEY\s+\(none\)\s+\S+ \S+\nOTHER\s+api\.example\.com,\*\.example\.org,ci\.example\.net:8443/,
        );
        const json = await cli(["secrets", "list", "--json"]);
        assert.doesNotMatch(json.stdout + list.stdout, /sk-very-secret/);
        assert.deepEqual(JSON.parse(json.stdout).map((s: { name: string }) => s.name), [
          "API_KEY",
          "OTHER",
        ]);
        const bad = await cli(["secrets", "set", "1bad", "--value", "x"]);
        assert.equal(bad.code, 3);
        assert.match(bad.stderr, /name: must be 1-64 characters/);
        assert.match((await cli(["secrets", "delete", "OTHER"])).stdout, /Deleted OTHER/);
        const missing = await cli(["secrets", "delete", "NOPE"]);
        assert.equal(missing.code, 6, "docs/cli.md: 6 is not found");
        assert.match(missing.stderr, /no secret NOPE/);
        const after = JSON.parse((await cli(["secrets", "list", "--json"])).stdout);
        assert.deepEqual(after.map((s: { name: string }) => s.name), ["API_KEY"]);
      });

      await t.step("tokens: create one for CI (shown once), list, revoke", async () => {
        const created = await cli(["tokens", "create", "ci", "--days", "30"]);
        assert.equal(created.code, 0, created.stderr);
        const secret = created.stdout.trim();
        assert.match(secret, /^flora_[\w-]+$/);
        const ci = await cli(["whoami", "--json", "--token", secret]);
        assert.equal(JSON.parse(ci.stdout).user.id, alice);
        const listed = JSON.parse((await cli(["tokens", "list", "--json"])).stdout);
        const info = listed.find((t: { name: string }) => t.name === "ci");
        assert.ok(info.expiresAt);
        assert.equal((await cli(["tokens", "revoke", info.id])).code, 0);
        assert.equal((await cli(["whoami", "--token", secret])).code, 5);
        assert.equal((await cli(["tokens", "revoke", info.id])).code, 6);
      });

      await t.step("logout revokes the token", async () => {
        const token = JSON.parse(await Deno.readTextFile(config)).token;
        const out = await cli(["logout"]);
        assert.equal(out.code, 0, out.stderr);
        assert.equal(JSON.parse(await Deno.readTextFile(config)).token, undefined);
        const reuse = await cli(["whoami", "--token", token]);
        assert.equal(reuse.code, 5);
        assert.match(reuse.stderr, /not valid/);
      });
    } finally {
      await flora.stop();
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  },
});
