/**
 * Gateway faults through the whole runtime: 50 forced disconnects during a
 * stream of 5,000 messages, and the guild's handler still sees every message
 * exactly once (Discordeno resumes; the emulator replays what it missed).
 * Then a 429 storm on the message route loses no reply.
 */

import assert from "node:assert/strict";
import { EmulatorClient } from "../emulator/mod.ts";
import { loadConfig } from "../runtime/config.ts";
import { startFlora } from "../runtime/flora.ts";
import { bundle } from "../client/bundle.ts";

const MESSAGES = 5_000;
const DISCONNECTS = 50;

/** Counts each message id it sees; `!report` answers with the totals. */
const COUNTER = `
const seen = new Set();
let duplicates = 0;
on("messageCreate", (message) => {
  if (message.author.bot || !message.content.startsWith("m")) return;
  if (seen.has(message.id)) duplicates++;
  seen.add(message.id);
});
createBot({ prefixCommands: [prefix({ name: "report", run: (ctx) => ctx.reply(JSON.stringify({ seen: seen.size, duplicates })) })] });
`;

Deno.test({
  name:
    "50 disconnects during 5,000 messages: every message handled exactly once; a 429 storm loses no reply",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dataDir = await Deno.makeTempDir({ prefix: "flora-faults-" });
    const flora = await startFlora(
      loadConfig({
        FLORA_DATA_DIR: dataDir,
        FLORA_API_PORT: "0",
        FLORA_EMULATOR_PORT: "0",
        FLORA_SANDBOX_PROCESSES: "1",
        // Every message must reach the handler: no backlog drops in this test.
        FLORA_GUILD_BACKLOG: "100000",
      }),
      { emulatorHeartbeatMs: 30_000, emulatorIdentifyIntervalMs: 0, spawnShardDelay: 0 },
    );
    try {
      const emulator = flora.emulator!;
      const emu = new EmulatorClient(emulator.url);
      const guild = emulator.seeded!.guilds[0];
      const user = emulator.seeded!.users.member;
      const channelId = guild.channels.general;
      const path = `${dataDir}/counter.ts`;
      await Deno.writeTextFile(path, COUNTER);
      const deployed = await fetch(`${flora.apiUrl}/deployments/${guild.id}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${flora.operatorToken}`,
          "content-type": "application/json",
        },
        body: JSON.stringify(await bundle(path)),
      });
      assert.equal(deployed.status, 201);
      const report = async () => {
        const since = emulator.actions.lastSeq;
        await emu.sendMessage({ guildId: guild.id, channelId, userId: user, content: "!report" });
        const reply = await emu.waitForAction(
          (a) =>
            a.seq > since && a.route === "POST /channels/:id/messages" && a.status < 300 &&
            String((a.body as { content?: string }).content).startsWith("{"),
          30_000,
        );
        return JSON.parse((reply.body as { content: string }).content) as {
          seen: number;
          duplicates: number;
        };
      };

      await t.step("disconnects mid-stream lose and duplicate nothing", async () => {
        const [before] = await emu.sessions();
        const batch = MESSAGES / DISCONNECTS;
        for (let round = 0; round < DISCONNECTS; round++) {
          const messages = Array.from({ length: batch }, (_, i) => ({
            guildId: guild.id,
            channelId,
            userId: user,
            content: `m${round * batch + i}`,
          }));
          const posted = fetch(`${emulator.url}/_emulator/bench/messages`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ messages }),
          }).then((r) => r.json());
          // Close the session with a resumable code while the batch is being dispatched.
          const closed = await emu.gatewayFault({ kind: "close", code: 4000 });
          assert.equal(closed, 1);
          assert.equal((await posted).posted, batch);
          // Wait for the client to come back before the next disconnect.
          for (let i = 0; i < 200 && !(await emu.sessions()).some((s) => s.connected); i++) {
            await new Promise((r) => setTimeout(r, 25));
          }
        }
        // Messages can still be in flight after the last resume; poll the count.
        let totals = await report();
        for (let i = 0; i < 50 && totals.seen < MESSAGES; i++) {
          await new Promise((r) => setTimeout(r, 200));
          totals = await report();
        }
        assert.deepEqual(totals, { seen: MESSAGES, duplicates: 0 });
        // Every reconnect resumed the same session (no fresh IDENTIFY that would skip events).
        const after = (await emu.sessions()).filter((s) => s.connected);
        assert.deepEqual(after.map((s) => s.id), [before.id]);
      });

      await t.step("a 429 storm on the message route loses no reply", async () => {
        await emu.restFault({ route: "POST /channels/:id/messages", status: 429, count: 20 });
        const totals = await report();
        assert.equal(totals.seen, MESSAGES);
      });
    } finally {
      await flora.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
