/**
 * Backpressure and hot redeploy end to end (host process, sandbox
 * processes, built-in emulator, CLI): a flooded guild drops messages and
 * counts them but still answers its interactions, and interactions sent
 * while a new version is rolled out are each answered exactly once.
 */

import assert from "node:assert/strict";
import { EmulatorClient } from "../emulator/mod.ts";
import { runCli, startFloraProcess, writeScript } from "./helpers/flora_process.ts";

const VERSION = (tag: string) => `
on("messageCreate", async () => { await new Promise((resolve) => setTimeout(resolve, 100)); });
const which = slash({ name: "which", description: "Which version runs", run: (ctx) => ctx.reply("${tag}") });
createBot({ slashCommands: [which] });
`;

Deno.test({
  name: "a flooded guild drops messages, not interactions; a redeploy answers each one once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const flora = await startFloraProcess({ env: { FLORA_GUILD_BACKLOG: "50" } });
    const scripts = await Deno.makeTempDir({ prefix: "flora-bp-" });
    try {
      const emu = new EmulatorClient(flora.info.emulatorUrl!);
      const [guild] = (await emu.world()).guilds;
      const channel = guild.channels.find((c) => c.name === "general")!.id;
      const user = guild.members.find((m) => !m.bot)!.userId;
      const token = (await Deno.readTextFile(`${flora.dataDir}/operator-token`)).trim();
      const env = { FLORA_DATA_DIR: flora.dataDir };
      const deploy = async (tag: string) => {
        const path = await writeScript(scripts, `${tag}.ts`, VERSION(tag));
        const run = await runCli(["deploy", "--guild", guild.id, "--no-check", path], env);
        assert.equal(run.code, 0, run.stderr);
      };
      const metrics = async () =>
        await fetch(`${flora.info.apiUrl}/metrics`, {
          headers: { authorization: `Bearer ${token}` },
        }).then((r) => r.text());
      const which = () =>
        emu.invokeSlash({ guildId: guild.id, channelId: channel, userId: user, name: "which" });
      /** The content the interaction was answered with, once it was (polls). */
      const answer = async (interactionId: string) => {
        let view;
        for (let i = 0; i < 400; i++) {
          view = await emu.interaction(interactionId);
          const callbacks = view.responses.filter((r) => r.kind === "callback");
          const content = view.originalMessage?.content;
          if (callbacks.length > 0 && content) return { callbacks: callbacks.length, content };
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`interaction ${interactionId} was never answered: ${JSON.stringify(view)}`);
      };

      await deploy("v1");

      await t.step(
        "a flood of messages is cut at the backlog; the interaction still runs",
        async () => {
          const messages = Array.from({ length: 1_000 }, (_, i) => ({
            guildId: guild.id,
            channelId: channel,
            userId: user,
            content: `flood ${i}`,
          }));
          const posted = await fetch(`${flora.info.emulatorUrl}/_emulator/bench/messages`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ messages }),
          });
          assert.equal(posted.status, 200);
          await posted.body?.cancel();
          const { interactionId } = await which();
          assert.deepEqual(await answer(interactionId), { callbacks: 1, content: "v1" });
          const text = await metrics();
          const dropped = Number(
            /^flora_events_dropped_total\{type="messageCreate"\} (\d+)$/m.exec(text)?.[1],
          );
          assert.ok(dropped > 0 && dropped < 1_000, `dropped ${dropped}`);
          assert.doesNotMatch(text, /flora_events_dropped_total\{type="interactionCreate"\}/);
        },
      );

      await t.step("interactions during a redeploy are each answered exactly once", async () => {
        const before: string[] = [];
        let deploying = true;
        const rollout = deploy("v2").finally(() => (deploying = false));
        while (deploying) {
          before.push((await which()).interactionId);
          await new Promise((r) => setTimeout(r, 20));
        }
        await rollout;
        const after: string[] = [];
        for (let i = 0; i < 5; i++) after.push((await which()).interactionId);
        for (const id of before) {
          const { callbacks, content } = await answer(id);
          assert.equal(callbacks, 1);
          assert.ok(content === "v1" || content === "v2", content);
        }
        for (const id of after) assert.deepEqual(await answer(id), { callbacks: 1, content: "v2" });
        assert.ok(before.length > 0);
      });
    } finally {
      await flora.stop();
      await Deno.remove(scripts, { recursive: true });
    }
  },
});
