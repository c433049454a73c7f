/**
 * A newcomer's loop with real processes, on a machine with only Node and npm:
 * `task start`, the deploy command its banner prints, the message command it
 * prints; stop; start again in the same data dir — the guilds keep their ids,
 * the deployment is back and the bot still answers.
 */

import assert from "node:assert/strict";
import { EmulatorClient } from "../emulator/mod.ts";
import { type FloraProcess, runCli, startFloraProcess } from "./helpers/flora_process.ts";
import { nodeOnlyPath, runAsPrinted } from "./helpers/node_only_path.ts";

const ROOT = new URL("../", import.meta.url);

/** The command printed on the line after `heading`. */
function printedAfter(output: string, heading: RegExp): string {
  const lines = output.split("\n");
  const at = lines.findIndex((l) => heading.test(l));
  assert.ok(at >= 0, `no ${heading} in:\n${output}`);
  return lines[at + 1].trim();
}

async function pongs(flora: FloraProcess, channelId: string): Promise<number> {
  const messages = await new EmulatorClient(flora.info.emulatorUrl!).messages(channelId);
  return messages.filter((m) => m.content === "pong!").length;
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name: "task start keeps the emulator's guilds across a restart, and the banner's commands work",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const path = await nodeOnlyPath();
    const dataDir = await Deno.makeTempDir({ prefix: "flora-restart-" });
    // As `npx -y deno@… task start` runs it: npx's Deno is first on PATH, the user's shell has none.
    const env = { PATH: path, npm_lifecycle_event: "npx" };
    let flora = await startFloraProcess({ env, dataDir, keepDataDir: true });
    try {
      const banner = flora.output();
      const deploy = printedAfter(banner, /^Deploy the example bot/);
      assert.match(deploy, /^FLORA_DATA_DIR=\S+ npx -y deno@2\.9\.6 task flora deploy --guild \d+/);
      const deployed = await runAsPrinted(deploy, path, ROOT);
      assert.equal(deployed.code, 0, deployed.stderr);

      const say = printedAfter(banner, /^Then say !ping/);
      assert.match(say, /^curl -s http:\/\/127\.0\.0\.1:\d+\/_emulator\/messages /);
      const channelId = JSON.parse(say.slice(say.indexOf("-d '") + 4, -1)).channelId;
      const sent = await runAsPrinted(say, path, ROOT);
      assert.equal(sent.code, 0, sent.stderr);
      await waitFor("the bot's first pong", async () => await pongs(flora, channelId) === 1);
      await flora.stop();

      flora = await startFloraProcess({ env, dataDir, keepDataDir: true });
      const again = flora.output();
      assert.equal(printedAfter(again, /^Deploy the example bot/), deploy);
      assert.match(again, /Restored 1 deployment\./);
      assert.equal(await pongs(flora, channelId), 1, "the channel's history is kept");
      const resent = await runAsPrinted(printedAfter(again, /^Then say !ping/), path, ROOT);
      assert.equal(resent.code, 0, resent.stderr);
      await waitFor(
        "the bot's pong after the restart",
        async () => await pongs(flora, channelId) === 2,
      );
    } finally {
      await flora.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "flora logs -f says when it lost the API and when it is back",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "flora-logs-restart-" });
    const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = String((free.addr as Deno.NetAddr).port);
    free.close();
    // The same API port after the restart: the follower reconnects to where it was.
    const env = { FLORA_API_PORT: port };
    let flora = await startFloraProcess({ env, dataDir, keepDataDir: true });
    const deploy = printedAfter(flora.output(), /^Deploy the example bot/);
    const guild = deploy.match(/--guild (\d+)/)![1];
    const follow = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "cli/main.ts", "logs", "-f", "-n", "5", "--guild", guild],
      cwd: ROOT,
      env: { FLORA_DATA_DIR: dataDir, NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let stderr = "";
    const pump = (async () => {
      for await (const chunk of follow.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
    })();
    try {
      const deployed = await runCli(["deploy", "--guild", guild, "examples/ping.ts"], {
        FLORA_DATA_DIR: dataDir,
      });
      assert.equal(deployed.code, 0, deployed.stderr);
      await flora.stop();
      await waitFor("the lost connection", () => Promise.resolve(/reconnecting…/.test(stderr)));
      assert.doesNotMatch(stderr, /\(reconnected\)/);
      flora = await startFloraProcess({ env, dataDir, keepDataDir: true });
      await waitFor("the reconnection", () => Promise.resolve(/\(reconnected\)/.test(stderr)));
    } finally {
      follow.kill("SIGINT");
      await follow.status;
      await pump;
      await flora.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
