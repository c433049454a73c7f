/**
 * Cron end to end: jobs declared by a script fire through the host's
 * scheduler as `cron` events, `skipIfRunning` holds back overlapping runs,
 * bad schedules fail the deploy, and schedules survive a redeploy and a
 * restart of flora (on the same data dir, with no new deploy).
 */

import assert from "node:assert/strict";
import { CRON_STORE } from "../runtime/host/cron.ts";
import { sentTo, startSdkFlora } from "./helpers/sdk_flora.ts";

const SCRIPT = (channelId: string) => `
let runs = 0;
cron("tick", "*/5 * * * *", async (run) => {
  runs++;
  console.log("CRON tick " + run.scheduledAt);
  await discord.sendMessage("${channelId}", "tick " + runs);
});
cron("slow", "0 * * * *", async () => {
  console.log("CRON slow start");
  await new Promise((r) => setTimeout(r, 1500));
  console.log("CRON slow end");
}, { skipIfRunning: true });
createBot({});
`;

const MINUTE = 60_000;

Deno.test({
  name: "cron jobs fire on schedule, skip while running, and survive redeploys and restarts",
  // Discordeno keeps timers and sockets past close; flora.close() stops what flora owns.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    let h = await startSdkFlora();
    // The test drives the scheduler's clock alone: stop its wall-clock timer, and use
    // instants far from now (its timer, after the restart, finds nothing due).
    await h.flora.cron.close();
    const dataDir = h.dataDir;
    const guild = h.world.guilds[0];
    const channel = guild.channels.general;
    const start = Date.parse("2031-03-04T10:02:30Z");
    try {
      await t.step(
        "a schedule that is not five valid fields fails the deploy with a clear error",
        async () => {
          const bad = await h.deployCode(
            guild.id,
            `cron("x", "61 * * * *", () => {}); createBot({});`,
          );
          assert.equal(bad.status, 422);
          assert.match(
            bad.deployment.error!,
            /minute field "61" is invalid \(61 is outside 0-59\)/,
          );
          const six = await h.deployCode(
            guild.id,
            `cron("x", "* * * * * *", () => {}); createBot({});`,
          );
          assert.match(six.deployment.error!, /has 6 fields; use five/);
        },
      );

      await t.step("a due job runs its handler through the normal event path", async () => {
        assert.equal((await h.deployCode(guild.id, SCRIPT(channel))).status, 201);
        assert.deepEqual(await h.flora.cron.tick(new Date(start)), []); // arms the jobs
        const stored = await h.flora.guildKv.get(guild.id, CRON_STORE, "job:tick");
        const next = (stored?.value as { nextRunAt: number }).nextRunAt;
        assert.ok(next > start && next <= start + 5 * MINUTE);
        assert.equal(new Date(next).getUTCMinutes() % 5, 0);

        const since = h.lastSeq();
        const fired = await h.flora.cron.tick(new Date(next + 1_000));
        assert.deepEqual(fired, [{ guildId: guild.id, name: "tick" }]);
        await h.waitAfter(since, sentTo(channel, (b) => b.content === "tick 1"));
        await h.waitForLog(
          guild.id,
          (l) => l.message === `CRON tick ${new Date(next).toISOString()}`,
        );
        // Not due again until the next slot.
        assert.deepEqual(await h.flora.cron.tick(new Date(next + 2_000)), []);
      });

      await t.step("skipIfRunning skips a run while the previous one is still going", async () => {
        const stored = await h.flora.guildKv.get(guild.id, CRON_STORE, "job:slow");
        const next = (stored?.value as { nextRunAt: number }).nextRunAt;
        await h.flora.cron.tick(new Date(next));
        await h.waitForLog(guild.id, (l) => l.message === "CRON slow start");
        await h.flora.cron.tick(new Date(next + 60 * MINUTE));
        const skipped = await h.waitForLog(
          guild.id,
          (l) => l.message.startsWith(`cron job "slow" skipped`),
        );
        assert.equal(skipped.level, "warn");
        await h.waitForLog(guild.id, (l) => l.message === "CRON slow end");
        const starts = (await h.flora.logs.recent(guild.id, 500)).filter((l) =>
          l.message === "CRON slow start"
        );
        assert.equal(starts.length, 1);
      });

      await t.step("a redeploy that keeps a job keeps its schedule", async () => {
        const before = await h.flora.guildKv.get(guild.id, CRON_STORE, "job:tick");
        assert.equal((await h.deployCode(guild.id, SCRIPT(channel) + "\n// v2\n")).status, 201);
        await h.flora.cron.tick(new Date(start));
        const after = await h.flora.guildKv.get(guild.id, CRON_STORE, "job:tick");
        assert.deepEqual(after?.value, before?.value);
      });

      await t.step("after a restart the job fires without a new deploy", async () => {
        const stored = await h.flora.guildKv.get(guild.id, CRON_STORE, "job:tick");
        const next = (stored?.value as { nextRunAt: number }).nextRunAt;
        await h.close(true);
        h = await startSdkFlora(dataDir);
        assert.equal(h.flora.restored, 1);
        // Missed slots while flora was down fire once, as the latest due slot.
        const fired = await h.flora.cron.tick(new Date(next + 11 * MINUTE));
        assert.deepEqual(fired, [{ guildId: guild.id, name: "tick" }]);
        const slot = new Date(next + 10 * MINUTE).toISOString();
        await h.waitForLog(guild.id, (l) => l.message === `CRON tick ${slot}`);
      });
    } finally {
      await h.close();
    }
  },
});
