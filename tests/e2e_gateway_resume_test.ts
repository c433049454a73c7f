/**
 * The host stopped under load (SIGTERM, then SIGKILL) and started again
 * within Discord's resume window: it RESUMEs its gateway session from the
 * last event it fully handled, so every message is answered, and none twice.
 * flora runs as a process against an emulator in its own process, which,
 * like Discord, keeps the session (and what it sent) while the host is down.
 */

import assert from "node:assert/strict";
import { EmulatorClient } from "../emulator/client.ts";
import { startEmulatorProcess } from "./helpers/emulator_process.ts";
import { type FloraProcess, startFloraProcess } from "./helpers/flora_process.ts";

const OPERATOR = "resume-test-operator-token";
// A handler that takes a while, so a stop always finds some events unfinished.
const ECHO = `createBot({ prefixCommands: [prefix({ name: "echo", run: async (ctx) => {
  await new Promise((r) => setTimeout(r, 40));
  await ctx.reply("re " + ctx.argv.join(" "));
} })] });`;

async function underLoadAcrossRestart(stop: (flora: FloraProcess) => Promise<void>) {
  const emulator = await startEmulatorProcess(["--heartbeat=30000"]);
  const client = new EmulatorClient(emulator.controlUrl);
  // One busy channel: Discord's per-channel send limit would pace the replies, not flora.
  await client.setRateLimits({ enabled: false });
  const dataDir = await Deno.makeTempDir({ prefix: "flora-resume-" });
  const env = {
    DISCORD_TOKEN: emulator.token,
    DISCORD_API_URL: emulator.restBase,
    FLORA_OPERATOR_TOKEN: OPERATOR,
    FLORA_SANDBOX_PROCESSES: "1",
    FLORA_SHUTDOWN_MS: "100",
    // All 300 messages are in one guild: at the default per-guild REST budget (5 calls a second)
    // the replies took a minute. The budget has its own tests (tests/hostile/bounds_test.ts); at
    // 50 a second the 40 ms handler still paces the guild, so a stop finds a backlog (about 75
    // of the first 100 messages unanswered).
    FLORA_GUILD_REST_PER_SECOND: "50",
  };
  let flora = await startFloraProcess({ env, dataDir, keepDataDir: true });
  try {
    const guild = emulator.guilds[0];
    const deployed = await fetch(`${flora.info.apiUrl}/deployments/${guild.id}`, {
      method: "POST",
      headers: { authorization: `Bearer ${OPERATOR}`, "content-type": "application/json" },
      body: JSON.stringify({ entry: "echo.ts", code: ECHO }),
    });
    assert.equal(deployed.status, 201, await deployed.text());

    const total = 300;
    let sent = 0;
    const sending = (async () => {
      for (; sent < total; sent++) {
        await client.sendMessage({
          guildId: guild.id,
          channelId: guild.general,
          userId: emulator.users.member,
          content: `!echo ${sent}`,
        });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    while (sent < total / 3) await new Promise((r) => setTimeout(r, 20));
    await stop(flora);
    // Down for a while, as in a real restart: the emulator keeps sending.
    while (sent < total / 2) await new Promise((r) => setTimeout(r, 20));
    flora = await startFloraProcess({ env, dataDir, keepDataDir: true });
    assert.match(flora.output(), /resumed the gateway session of shard\(s\) 0/);
    await sending;

    const answers = async () => {
      const counts = new Map<string, number>();
      for (const m of await client.messages(guild.general)) {
        const match = /^re (\d+)$/.exec(m.content ?? "");
        if (match) counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
      }
      return counts;
    };
    const deadline = Date.now() + 60_000;
    let counts = await answers();
    while (counts.size < total && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      counts = await answers();
    }
    const missing = Array.from({ length: total }, (_, i) => String(i)).filter((n) =>
      !counts.has(n)
    );
    const twice = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
    assert.deepEqual(
      { missing, twice },
      { missing: [], twice: [] },
      `after the restart flora printed:\n${flora.output().slice(-3000)}`,
    );
  } finally {
    await flora.stop().catch(() => {});
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    await emulator.stop();
  }
}

Deno.test({
  name: "SIGTERM under load, then a restart: every message answered once (gateway RESUME)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    underLoadAcrossRestart(async (flora) => {
      // stop() sends SIGTERM and waits for the exit; the data dir is kept.
      await flora.stop();
    }),
});

Deno.test({
  name: "kill -9 under load, then a restart: every message answered once (gateway RESUME)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () => underLoadAcrossRestart((flora) => flora.kill()),
});
