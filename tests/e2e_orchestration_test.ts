/**
 * Orchestration end to end: flora's host as a real process with two gateway
 * shards, the built-in emulator, sandbox processes, the CLI deploying a
 * script, and `/metrics`. Idle eviction and the cold start that brings a
 * guild back, interactions answered across a cold start, and a graceful
 * shutdown that lets an in-flight handler finish.
 */

import assert from "node:assert/strict";
import { type BotAction, EmulatorClient } from "../emulator/mod.ts";
import { runCli, startFloraProcess, writeScript } from "./helpers/flora_process.ts";

const SCRIPT = `
const ping = slash({ name: "ping", description: "Respond with pong", run: (ctx) => ctx.reply("pong!") });
createBot({
  slashCommands: [ping],
  prefixCommands: [
    prefix({ name: "ping", run: (ctx) => ctx.reply("pong!") }),
    prefix({ name: "slow", run: async (ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await ctx.reply("slow done");
    } }),
  ],
});
`;

function isMessageTo(channelId: string, content: string) {
  return (a: BotAction) =>
    a.route === "POST /channels/:id/messages" && a.channelId === channelId &&
    (a.body as { content?: string }).content === content;
}

/** One metric's value from Prometheus text (first matching line). */
function metric(text: string, line: string): number {
  const found = text.split("\n").find((l) => l.startsWith(line + " "));
  return found === undefined ? NaN : Number(found.slice(line.length + 1));
}

Deno.test({
  name: "lazy workers, eviction and comeback, sharded gateway, /metrics, graceful shutdown",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const flora = await startFloraProcess({
      env: { FLORA_SHARDS: "2", FLORA_WORKER_IDLE_MS: "300", FLORA_SHUTDOWN_MS: "8000" },
    });
    const scripts = await Deno.makeTempDir({ prefix: "flora-orch-" });
    let stopped = false;
    try {
      const emu = new EmulatorClient(flora.info.emulatorUrl!);
      const [guild] = (await emu.world()).guilds;
      const channel = guild.channels.find((c) => c.name === "general")!.id;
      const user = guild.members.find((m) => !m.bot)!.userId;
      const token = (await Deno.readTextFile(`${flora.dataDir}/operator-token`)).trim();
      const scrape = async () => {
        const response = await fetch(`${flora.info.apiUrl}/metrics`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(response.status, 200);
        assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
        return await response.text();
      };
      const until = async (check: (text: string) => boolean, what: string) => {
        for (let i = 0; i < 200; i++) {
          const text = await scrape();
          if (check(text)) return text;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`metrics never showed ${what}:\n${await scrape()}`);
      };
      const lastSeq = async () => (await emu.actions()).at(-1)?.seq ?? 0;

      await t.step("the gateway runs two shards", async () => {
        const sessions = await emu.sessions();
        assert.deepEqual(sessions.map((s) => s.shard).sort(), [[0, 2], [1, 2]]);
      });

      await t.step("/metrics needs the operator token", async () => {
        const anonymous = await fetch(`${flora.info.apiUrl}/metrics`);
        assert.equal(anonymous.status, 401);
        await anonymous.body?.cancel();
        const wrong = await fetch(`${flora.info.apiUrl}/metrics`, {
          headers: { authorization: "Bearer not-the-operator-token" },
        });
        assert.equal(wrong.status, 403);
        await wrong.body?.cancel();
      });

      await t.step("a deployed guild's idle worker is evicted", async () => {
        const path = await writeScript(scripts, "bot.ts", SCRIPT);
        const run = await runCli(["deploy", "--guild", guild.id, "--no-check", path], {
          FLORA_DATA_DIR: flora.dataDir,
        });
        assert.equal(run.code, 0, run.stderr);
        const text = await until(
          (m) => metric(m, 'flora_workers_evicted_total{reason="idle"}') >= 1,
          "an idle eviction",
        );
        assert.equal(metric(text, "flora_workers_resident"), 0);
        assert.equal(metric(text, "flora_guilds_deployed"), 1);
      });

      await t.step("the next message starts it again and is answered", async () => {
        const since = await lastSeq();
        await emu.sendMessage({
          guildId: guild.id,
          channelId: channel,
          userId: user,
          content: "!ping",
        });
        await emu.waitForAction((a) => a.seq > since && isMessageTo(channel, "pong!")(a));
        // The handler's `done` follows its reply.
        const text = await until(
          (m) => metric(m, "flora_dispatch_latency_seconds_count") >= 1,
          "a dispatch latency sample",
        );
        assert.ok(metric(text, "flora_cold_starts_total") >= 1);
        assert.ok(metric(text, 'flora_events_in_total{type="messageCreate"}') >= 1);
        assert.ok(metric(text, 'flora_rest_calls_total{op="message.send"}') >= 1);
      });

      await t.step("a slash command on a cold guild is answered in time", async () => {
        await until((m) => metric(m, "flora_workers_resident") === 0, "the worker evicted again");
        const { interactionId } = await emu.invokeSlash({
          guildId: guild.id,
          channelId: channel,
          userId: user,
          name: "ping",
        });
        const callback = await emu.waitForAction((a) =>
          a.route === "POST /interactions/:id/:token/callback" && a.interactionId === interactionId
        );
        assert.equal(callback.status, 204);
        // Either the script answered itself, or the host deferred and the answer edited it.
        const view = await emu.interaction(interactionId);
        const content = view.originalMessage?.content ??
          (view.responses[0]?.body as { data?: { content?: string } })?.data?.content;
        assert.equal(content, "pong!");
      });

      await t.step("shutdown lets an in-flight handler finish", async () => {
        const since = await lastSeq();
        await emu.sendMessage({
          guildId: guild.id,
          channelId: channel,
          userId: user,
          content: "!slow",
        });
        await until((m) => metric(m, "flora_events_inflight") === 1, "the handler in flight");
        const reply = emu.waitForAction(
          (a) => a.seq > since && isMessageTo(channel, "slow done")(a),
          15_000,
        );
        const stopping = flora.stop();
        stopped = true;
        const action = await reply;
        assert.equal(action.status, 200);
        await stopping;
        assert.match(flora.output(), /shutting down/);
        assert.doesNotMatch(flora.output(), /did not finish in time/);
      });
    } finally {
      if (!stopped) await flora.stop();
      await Deno.remove(scripts, { recursive: true });
    }
  },
});
