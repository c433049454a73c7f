/**
 * The whole path, end to end: flora's host as a real process (with its
 * emulator, API and sandbox processes), the CLI as a subprocess, and the
 * emulator's control interface acting as a Discord user.
 */

import assert from "node:assert/strict";
import { type BotAction, EmulatorClient } from "../emulator/mod.ts";
import { runCli, startFloraProcess, writeScript } from "./helpers/flora_process.ts";

const PONG_V2 = `
const ping = slash({ name: "ping", description: "Respond with pong", run: (ctx) => ctx.reply("pong v2") });
createBot({ slashCommands: [ping], prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong v2") })] });
`;

const THROWS_AT_LOAD = `
createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("never") })] });
throw new Error("missing configuration value");
`;

const TYPE_ERROR = `
const n: number = "not a number";
createBot({});
`;

const SYNTAX_ERROR = `
createBot({ prefixCommands: [
`;

function isMessageTo(channelId: string, content: string) {
  return (a: BotAction) =>
    a.route === "POST /channels/:id/messages" && a.channelId === channelId &&
    (a.body as { content?: string }).content === content;
}

Deno.test({
  name: "deploy through the CLI, answer /ping and !ping in that guild only, redeploy safely",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const flora = await startFloraProcess();
    const scripts = await Deno.makeTempDir({ prefix: "flora-scripts-" });
    try {
      const emu = new EmulatorClient(flora.info.emulatorUrl!);
      const world = await emu.world();
      const [guildA, guildB] = world.guilds;
      const channelA = guildA.channels.find((c) => c.name === "general")!.id;
      const channelB = guildB.channels.find((c) => c.name === "general")!.id;
      const member = (g: typeof guildA) => g.members.find((m) => !m.bot)!.userId;
      const lastSeq = async () => (await emu.actions()).at(-1)?.seq ?? 0;
      const waitAfter = (since: number, predicate: (a: BotAction) => boolean) =>
        emu.waitForAction((a) => a.seq > since && predicate(a), 10_000);
      const cliEnv = { FLORA_DATA_DIR: flora.dataDir };

      await t.step("a type error is reported with file:line and nothing is uploaded", async () => {
        const path = await writeScript(scripts, "typed.ts", TYPE_ERROR);
        const run = await runCli(["deploy", "--guild", guildA.id, path], cliEnv);
        assert.equal(run.code, 4, run.stderr);
        assert.match(run.stderr, /typed\.ts:2:7/);
        assert.match(run.stderr, /not assignable to type 'number'/);
        const syntax = await writeScript(scripts, "syntax.ts", SYNTAX_ERROR);
        const run2 = await runCli(["deploy", "--guild", guildA.id, "--no-check", syntax], cliEnv);
        assert.equal(run2.code, 4, run2.stderr);
        assert.match(run2.stderr, /syntax\.ts:\d+:\d+/);
        const history = await fetch(`${flora.info.apiUrl}/deployments/${guildA.id}`, {
          headers: { authorization: `Bearer ${await operatorToken(flora.dataDir)}` },
        }).then((r) => r.json());
        assert.deepEqual(history.deployments, []);
      });

      await t.step("deploy examples/ping.ts through the CLI", async () => {
        const run = await runCli(["deploy", "--guild", guildA.id, "examples/ping.ts"], cliEnv);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /revision 1 \(\S+\) is live/);
        const registered = await emu.waitForAction((a) =>
          a.route === "PUT /applications/:id/guilds/:id/commands" && a.guildId === guildA.id
        );
        assert.deepEqual((registered.body as { name: string }[]).map((c) => c.name), ["ping"]);
      });

      await t.step("!ping is answered in the channel", async () => {
        const since = await lastSeq();
        await emu.sendMessage({
          guildId: guildA.id,
          channelId: channelA,
          userId: member(guildA),
          content: "!ping",
        });
        const reply = await waitAfter(since, isMessageTo(channelA, "pong!"));
        assert.equal(reply.status, 200);
      });

      await t.step("/ping is answered with an interaction callback", async () => {
        const { interactionId } = await emu.invokeSlash({
          guildId: guildA.id,
          channelId: channelA,
          userId: member(guildA),
          name: "ping",
        });
        const callback = await emu.waitForAction((a) =>
          a.route === "POST /interactions/:id/:token/callback" && a.interactionId === interactionId
        );
        assert.equal(callback.status, 204);
        assert.deepEqual(callback.body, { type: 4, data: { content: "pong!" } });
      });

      await t.step("a guild without a deployment gets nothing", async () => {
        await emu.sendMessage({
          guildId: guildB.id,
          channelId: channelB,
          userId: member(guildB),
          content: "!ping",
        });
        // Guild A's answer to a later message proves guild B's was routed (and dropped) before it.
        const since = await lastSeq();
        await emu.sendMessage({
          guildId: guildA.id,
          channelId: channelA,
          userId: member(guildA),
          content: "!ping",
        });
        await waitAfter(since, isMessageTo(channelA, "pong!"));
        const all = await emu.actions();
        assert.equal(
          all.filter((a) => a.guildId === guildB.id || a.channelId === channelB).length,
          0,
        );
      });

      await t.step("a redeploy replaces the script", async () => {
        const path = await writeScript(scripts, "v2.ts", PONG_V2);
        const run = await runCli(["deploy", "--guild", guildA.id, path], cliEnv);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /revision 2/);
        const since = await lastSeq();
        await emu.sendMessage({
          guildId: guildA.id,
          channelId: channelA,
          userId: member(guildA),
          content: "!ping",
        });
        await waitAfter(since, isMessageTo(channelA, "pong v2"));
        const later = await emu.actions({ since });
        assert.equal(
          later.filter(isMessageTo(channelA, "pong!")).length,
          0,
          "the old version still answered",
        );
      });

      await t.step("a broken redeploy fails and leaves the old one running", async () => {
        const path = await writeScript(scripts, "broken.ts", THROWS_AT_LOAD);
        const run = await runCli(["deploy", "--guild", guildA.id, path], cliEnv);
        assert.equal(run.code, 1, run.stderr);
        assert.match(run.stderr, /failed; the previous version keeps running/);
        assert.match(run.stderr, /missing configuration value/);
        const since = await lastSeq();
        await emu.sendMessage({
          guildId: guildA.id,
          channelId: channelA,
          userId: member(guildA),
          content: "!ping",
        });
        await waitAfter(since, isMessageTo(channelA, "pong v2"));
        const current = await fetch(`${flora.info.apiUrl}/deployments/${guildA.id}/current`, {
          headers: { authorization: `Bearer ${await operatorToken(flora.dataDir)}` },
        }).then((r) => r.json());
        assert.equal(current.deployment.revision, 2);
      });
    } finally {
      await flora.stop();
      await Deno.remove(scripts, { recursive: true });
    }
  },
});

async function operatorToken(dataDir: string): Promise<string> {
  return (await Deno.readTextFile(`${dataDir}/operator-token`)).trim();
}
